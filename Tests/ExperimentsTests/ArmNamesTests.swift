import Foundation
import Testing

@testable import Experiments

/// The cutout fixture with two arms of regularizer maps crossed with a zip of learning rate and epochs.
private func armsYAML(
  names: String,
  arms: String = "[{name: none}, {name: dropout, rate: 0.1}, {name: dropblock, rate: 0.1, block_size: 3}]",
  replacing extra: [String: String] = [:]
) -> String {
  var replacements = [
    "method: cutout": "method: dropblock",
    "regularizer: {name: cutout, length: 0}": "regularizer: {name: dropout, at: [conv2]}",
    "  regularizer.length: [0, 4, 8, 12, 16, 20]":
      "  regularizer: \(arms)\n"
      + "  zip: {train.lr: [0.1, 0.1, 0.01], train.epochs: [1, 2, 2]}",
    "check: {kind: peak_interior, x: regularizer.length, metric: test_accuracy}":
      "check: {kind: better_than, metric: test_accuracy, a: {regularizer: dropblock}, b: {regularizer: none}}",
    "report: {x_label: \"patch length (px)\", paper_x: 16}\n": names,
  ]
  replacements.merge(extra) { _, new in new }
  return cutoutSpecYAML(replacing: replacements)
}

private let goodNames = """
  names:
    zip: {title: schedule, values: [short, longer, longer and slower]}
    regularizer: [no regularization, dropout 0.1, DropBlock 0.1]

  """

@Suite struct ArmNamesTests {
  @Test func pointsReadTheirNamesInTheOrderNamesListsThem() throws {
    let spec = try ExperimentSpec.parse(yaml: armsYAML(names: goodNames))
    let labels = spec.points().map(\.label)
    #expect(labels.first == "short, no regularization")
    #expect(labels.contains("longer and slower, DropBlock 0.1"))
    #expect(Set(labels).count == 9)
    let point = spec.points()[0]
    #expect(point.name(along: "regularizer") == "no regularization")
    #expect(point.name(along: "train.epochs") == "short")
    #expect(spec.names?.title(of: "train.lr", sweep: spec.sweep) == "schedule")
    #expect(spec.names?.title(of: "regularizer", sweep: spec.sweep) == nil)
  }

  @Test func anAxisWithoutNamesKeepsItsWrittenLabel() throws {
    let spec = try ExperimentSpec.parse(
      yaml: armsYAML(names: "names:\n  regularizer: [no regularization, dropout 0.1, DropBlock 0.1]\n"))
    #expect(spec.points()[0].label == "no regularization, train.lr=0.1, train.epochs=1")
    #expect(spec.points()[0].parts.map(\.named) == [true, false])
    // Without names at all, labels are exactly as before.
    let plain = try ExperimentSpec.parse(yaml: cutoutSpecYAML())
    #expect(plain.points() == plain.sweep.points())
    #expect(plain.points()[1].label == "regularizer.length=4")
  }

  /// A zip position is bound by the fewest of its keys that tell it apart, a method map by its name, so a scale
  /// that sweeps fewer values keeps the names of those it shares.
  @Test func namesAreBoundToValuesAndSurviveAScaleThatSweepsFewer() throws {
    let spec = try ExperimentSpec.parse(
      yaml: armsYAML(
        names: goodNames,
        replacing: ["smoke: {train.epochs: 1,": "smoke: {sweep.train.lr: [0.01], sweep.train.epochs: [2],"]))
    let zip = try #require(spec.names?.axes.first)
    #expect(
      zip.entries.map(\.match) == [
        ["train.epochs": .int(1)], ["train.lr": .double(0.1), "train.epochs": .int(2)], ["train.lr": .double(0.01)],
      ])
    let arms = try #require(spec.names?.axes.last)
    #expect(arms.entries[0].match == ["regularizer": .map(["name": .string("none")])])
    let smoke = try spec.plan(scale: "smoke", catalog: .fixture)
    #expect(
      smoke.points.map(\.label) == [
        "longer and slower, no regularization", "longer and slower, dropout 0.1", "longer and slower, DropBlock 0.1",
      ])
    // A method at another setting is not the arm its name describes: it reads as written.
    let other = try spec.plan(
      scale: "default",
      overrides: [try Override.parse("sweep.regularizer=[{name: none}, {name: dropblock, rate: 0.2, block_size: 3}]")],
      catalog: .fixture)
    #expect(
      other.points.map(\.label).prefix(4) == [
        "short, no regularization", "longer, no regularization", "longer and slower, no regularization",
        "short, dropblock",
      ])
    // Two arms of one method are bound by their whole map.
    let two = try ExperimentSpec.parse(
      yaml: armsYAML(
        names: "names:\n  regularizer: [none, light, heavy]\n",
        arms: "[{name: none}, {name: dropout, rate: 0.1}, {name: dropout, rate: 0.5}]"))
    #expect(
      two.names?.axes[0].entries[1].match == ["regularizer": .map(["name": .string("dropout"), "rate": .double(0.1)])])
  }

  /// Names never reach a run: the same spec with and without them plans the very same config trees (what the cache
  /// key hashes) and coordinates; only the labels differ.
  @Test func namesDoNotChangeAnyRunConfig() throws {
    let named = try ExperimentSpec.parse(yaml: armsYAML(names: goodNames))
    let plain = try ExperimentSpec.parse(yaml: armsYAML(names: ""))
    #expect(plain.names == nil)
    for scale in ["smoke", "default", "full"] {
      let a = try named.plan(scale: scale, catalog: .fixture)
      let b = try plain.plan(scale: scale, catalog: .fixture)
      #expect(a.runs.count == b.runs.count)
      #expect(a.runs.map(\.configTree) == b.runs.map(\.configTree))
      #expect(a.runs.map(\.configTree.canonicalJSON) == b.runs.map(\.configTree.canonicalJSON))
      #expect(a.runs.map(\.point.coordinates) == b.runs.map(\.point.coordinates))
      #expect(a.runs.map(\.seed) == b.runs.map(\.seed))
      #expect(a.points.map(\.label) != b.points.map(\.label))
    }
    #expect(named.base == plain.base && named.sweep == plain.sweep)
  }

  /// The stored (bound) form round-trips through results JSON; a stored spec from before names decodes as before.
  @Test func namesRoundTripThroughJSONAndOldSpecsDecode() throws {
    let spec = try ExperimentSpec.parse(yaml: armsYAML(names: goodNames))
    let decoded = try JSONDecoder().decode(ExperimentSpec.self, from: JSONEncoder().encode(spec))
    #expect(decoded == spec)
    #expect(decoded.points() == spec.points())
    let points = try JSONDecoder().decode([GridPoint].self, from: JSONEncoder().encode(spec.points()))
    #expect(points == spec.points())
    var old = spec.tree
    old[path: "names"] = nil
    let json = old.canonicalJSON
    #expect(!json.contains("names"))
    let legacy = try JSONDecoder().decode(ExperimentSpec.self, from: Data(json.utf8))
    #expect(legacy.names == nil)
    #expect(legacy.points() == legacy.sweep.points())
    // A point stored before parts existed decodes with none.
    let bare = try JSONDecoder().decode(
      GridPoint.self, from: Data(#"{"coordinates": {"regularizer.rate": 0.5}, "label": "x", "index": 2}"#.utf8))
    #expect(bare.parts.isEmpty && bare.index == 2)
  }

  /// The report adopts the spec file's names (and question) into stored results whose spec is otherwise the same,
  /// and leaves a stored spec that differs in a run setting alone.
  @Test func storedResultsAdoptNamesWhenNothingElseChanged() throws {
    let current = try ExperimentSpec.parse(
      yaml: armsYAML(
        names: goodNames,
        replacing: [
          "  text: Test accuracy": "  question: Does DropBlock beat no regularization?\n  text: Test accuracy"
        ]))
    #expect(current.claim.question == "Does DropBlock beat no regularization?")
    var stored = current
    stored.names = nil
    stored.claim.question = nil
    let (adopted, parts) = try #require(stored.adoptingDescription(of: current, scale: "default"))
    #expect(parts == ["arm names", "claim question"])
    #expect(adopted == current)
    #expect(adopted.points().map(\.label) == current.points().map(\.label))
    #expect(current.adoptingDescription(of: current, scale: "default") == nil)
    var retrained = stored
    retrained.seeds = [0, 1]
    #expect(retrained.adoptingDescription(of: current, scale: "default") == nil)
  }

  @Test func questionRoundTrips() throws {
    let spec = try ExperimentSpec.parse(
      yaml: cutoutSpecYAML(replacing: [
        "  text: Test accuracy": "  question: Is there an interior best length?\n  text: Test accuracy"
      ]))
    #expect(spec.claim.question == "Is there an interior best length?")
    let decoded = try JSONDecoder().decode(ExperimentSpec.self, from: JSONEncoder().encode(spec))
    #expect(decoded.claim.question == spec.claim.question)
  }
}

@Suite struct ArmNamesErrorTests {
  private func error(_ names: String, replacing extra: [String: String] = [:]) -> SpecError? {
    do {
      _ = try ExperimentSpec.parse(
        yaml: armsYAML(names: names, replacing: extra), fileName: "Experiments/cutout-patch-length.yaml")
      return nil
    } catch {
      return error
    }
  }

  @Test func aNameCountThatDoesNotMatchTheValues() throws {
    let e = try #require(error("names:\n  regularizer: [no regularization, dropout]\n"))
    #expect(e.keyPath == "names.regularizer")
    #expect(e.line != nil)
    #expect(e.description.hasPrefix("Experiments/cutout-patch-length.yaml:"))
    #expect(e.message == "2 names for the 3 values of regularizer")
    #expect(e.suggestion == "give one name per value, in the sweep's order")
    let zip = try #require(error("names:\n  train.lr: [a, b]\n"))
    #expect(zip.message == "2 names for the 3 positions of the zip")
  }

  @Test func anUnknownAxisListsTheSweepKeys() throws {
    let e = try #require(error("names:\n  regularizer.rate: [a, b, c]\n"))
    #expect(e.keyPath == "names.regularizer.rate")
    #expect(e.message == "'regularizer.rate' is not a sweep key of this spec")
    #expect(e.suggestion == "name the values of one of: regularizer, train.lr, train.epochs, zip")
    let twice = try #require(error("names:\n  zip: [a, b, c]\n  train.lr: [d, e, f]\n"))
    #expect(twice.keyPath == "names.train.lr" && twice.message.contains("named twice"))
  }

  @Test func aNameThatMatchesNoPoint() throws {
    let names = """
      names:
        - axis: regularizer
          names:
            - {match: {regularizer: none}, name: no regularization}
            - {match: {regularizer: cutout}, name: Cutout}

      """
    let e = try #require(error(names))
    #expect(e.keyPath == "names.regularizer")
    #expect(e.message.hasPrefix("'Cutout' matches no value of the sweep"))
    #expect(e.suggestion == "values: none; dropout; dropblock")
  }

  @Test func twoPointsWithOneName() throws {
    let e = try #require(error("names:\n  regularizer: [none, dropout, dropout]\n"))
    #expect(e.keyPath == "names.regularizer")
    #expect(e.message == "'dropout' names two values: dropout and dropblock")
    #expect(e.suggestion == "give each value its own name")
    let overlap = """
      names:
        - axis: regularizer
          names:
            - {match: {regularizer: none}, name: none}
            - {match: {regularizer: dropout}, name: dropout}
            - {match: {regularizer: dropout}, name: also dropout}

      """
    let both = try #require(error(overlap))
    #expect(both.message == "'dropout' and 'also dropout' both name dropout")
  }

  @Test func namesThatAreNotNames() throws {
    #expect(try #require(error("names:\n  regularizer: [none, [a], b]\n")).keyPath == "names.regularizer[1]")
    #expect(try #require(error("names:\n  regularizer: [none, '  ', b]\n")).message == "a name cannot be empty")
    #expect(try #require(error("names: [1, 2]\n")).keyPath == "names[0]")
    #expect(try #require(error("names:\n  regularizer: {titel: x}\n")).message == "unknown key 'titel'")
    // Numbers are fine names.
    #expect(error("names:\n  zip: [1, 2, 3]\n") == nil)
  }
}

@Suite struct NamedVerdictTests {
  /// Test accuracy 90 + grid index + seed/10 for every point, three seeds.
  private func runs(_ points: [GridPoint]) -> [RunRecord] {
    points.flatMap { p in
      (0..<3).map { seed in
        RunRecord(
          key: "\(p.index)-\(seed)", point: p.coordinates, seed: seed, config: .map([:]), status: .ok, epochs: [],
          final: ["test_accuracy": 90 + Double(p.index) + Double(seed) / 10], wallSeconds: 1)
      }
    }
  }

  /// A comparison names its two arms by what tells them apart and says what they share once; a `by` group that
  /// covers a named axis reads by its name, one that covers part of a zip by its values.
  @Test func comparisonsAndGroupsReadTheNames() throws {
    let spec = try ExperimentSpec.parse(yaml: armsYAML(names: goodNames))
    let points = spec.points()
    let better = ClaimCheck.Rule.betterThan(
      metric: "test_accuracy", a: ["regularizer": .string("dropblock")], b: ["regularizer": .string("none")], margin: 0)
    let one = evaluate(ClaimCheck(better, where: ["train.epochs": .int(1)]), points: points, runs: runs(points))
    #expect(one.comparisons.map(\.label) == ["DropBlock 0.1 vs no regularization (short)"])
    #expect(one.explanation.hasPrefix("DropBlock 0.1 vs no regularization (short): a − b = +6.00 pt"))
    let byArm = evaluate(
      ClaimCheck(
        .betterThan(metric: "test_accuracy", a: ["train.epochs": .int(2)], b: ["train.epochs": .int(1)], margin: 0),
        by: ["regularizer"]), points: points, runs: runs(points))
    #expect(byArm.parts.map(\.label) == ["no regularization", "dropout 0.1", "DropBlock 0.1"])
    let byRate = evaluate(ClaimCheck(better, by: ["train.lr"]), points: points, runs: runs(points))
    #expect(byRate.parts.map(\.label) == ["train.lr=0.1", "train.lr=0.01"])
    // Unnamed specs read as before.
    let plain = try ExperimentSpec.parse(yaml: armsYAML(names: ""))
    let old = evaluate(
      ClaimCheck(better, where: ["train.epochs": .int(1)]), points: plain.points(), runs: runs(plain.points()))
    #expect(
      old.comparisons.map(\.label) == ["dropblock, train.lr=0.1, train.epochs=1 vs none, train.lr=0.1, train.epochs=1"])
  }
}
