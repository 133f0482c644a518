import Testing

@testable import Experiments

private let robustness = """
  robustness:
    title: PyTorch's default initialisation
    set: {model.init: pytorch}
    arms: [{regularizer.length: 0}, {regularizer.length: 16}]

  """

/// `robustness:` plans each chosen arm again with its settings, after every claim run, on the verdict's seeds; the
/// claim's runs are the plan without it; a spec's mistakes in it are one clear error each.
@Suite struct RobustnessAxisTests {
  func spec(_ block: String = robustness) throws(SpecError) -> ExperimentSpec {
    try ExperimentSpec.parse(yaml: cutoutSpecYAML() + block, fileName: "cutout-patch-length.yaml")
  }

  @Test func variantsComeAfterTheClaimRunsOnTheVerdictSeeds() throws {
    let plain = try ExperimentSpec.parse(yaml: cutoutSpecYAML(), fileName: "cutout-patch-length.yaml")
      .plan(scale: "default", catalog: .fixture)
    let plan = try spec().plan(scale: "default", catalog: .fixture)
    #expect(plan.runs.count == plain.runs.count + 2 * 5)
    #expect(plan.claimRuns.map(\.configTree) == plain.runs.map(\.configTree))
    let variants = Array(plan.runs.suffix(10))
    #expect(variants.allSatisfy { $0.point.isRobustnessVariant && $0.config.model.initialization == .pytorch })
    #expect(variants.map(\.seed) == [0, 1, 2, 3, 4, 0, 1, 2, 3, 4])
    #expect(variants.map { $0.point.coordinates["regularizer.length"] } == Array(repeating: .int(0), count: 5) + Array(repeating: .int(16), count: 5))
    #expect(variants[0].point.coordinates[RobustnessAxis.coordinate] == .map(["model.init": .string("pytorch")]))
    #expect(variants[0].point.label.hasSuffix(" · model.init=pytorch"))
    // Apart from the setting, a variant is its arm's run: same data, model, regularizer, training.
    var tree = variants[0].configTree
    tree[path: "model.init"] = nil
    #expect(tree == plain.runs[0].configTree)
    #expect(plan.runs.prefix(plain.runs.count).allSatisfy { !$0.point.isRobustnessVariant })
    // A variant's coordinates are its arm's plus the axis's own; a claim run's have no claim point behind them.
    #expect(RobustnessAxis.claimCoordinates(ofVariant: variants[0].point.coordinates) == plain.runs[0].point.coordinates)
    #expect(RobustnessAxis.claimCoordinates(ofVariant: plain.runs[0].point.coordinates) == nil)
  }

  @Test func theAxisRoundTripsThroughTheStoredSpec() throws {
    let spec = try spec()
    let stored = try ExperimentSpec(tree: spec.tree, file: "")
    #expect(stored.robustness == spec.robustness)
    #expect(stored.robustness?.arms.count == 2)
    // Without arms, every grid point runs again.
    let every = try self.spec("robustness: {title: t, set: {train.lr: 0.02}}\n").plan(scale: "default", catalog: .fixture)
    #expect(every.runs.count == 2 * every.claimRuns.count)
  }

  static let broken: [(block: String, keyPath: String, message: String)] = [
    ("robustness: {title: t, set: {model.init: pytorch}, arms: [{regularizer.length: 7}]}\n", "robustness.arms[0]",
     "selects no grid point"),
    ("robustness: {title: t, set: {model.init: he}}\n", "robustness.set",
     "changes nothing for regularizer.length=0: the variant trains the same run"),
    ("robustness: {title: t, set: {seed: 3}}\n", "robustness.set.seed",
     "a robustness setting is a dotted base key of dataset, model, regularizer or train"),
    ("robustness: {title: t}\n", "robustness.set", "a robustness axis needs at least one setting"),
    ("robustness: {title: t, set: {model.init: torch}}\n", "robustness.set.model.init",
     "unknown initialisation 'torch'"),
  ]

  @Test(arguments: 0..<5) func mistakesAreOneClearError(_ i: Int) {
    let (block, keyPath, message) = Self.broken[i]
    do throws(SpecError) {
      _ = try spec(block).plan(scale: "default", catalog: .fixture)
      Issue.record("expected an error at \(keyPath)")
    } catch {
      #expect(error.keyPath == keyPath, "\(error.description)")
      #expect(error.description.contains(message), "\(error.description)")
      #expect(!error.description.contains("\n"))
    }
  }
}
