import Experiments
import Foundation
import Runner
import Testing

/// One malformed spec of the generated corpus.
struct MalformedSpec: Sendable, CustomTestStringConvertible {
  var name: String
  var fileName: String
  var yaml: String
  var testDescription: String { name }
}

/// A fuzz-style corpus generated from the real specs in Experiments/: each valid spec with one key dropped, one
/// value of the wrong type, out of range, huge, negative or an unknown name, plus deep nesting and an alias bomb.
/// Validated in-process against the real catalog, so hundreds of cases take well under a second each.
enum MalformedCorpus {
  static let experiments = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("Experiments")

  /// (id, tree) of every valid spec.
  static func specs() -> [(id: String, text: String, tree: ConfigValue)] {
    let names = ((try? FileManager.default.contentsOfDirectory(atPath: experiments.path)) ?? []).filter {
      $0.hasSuffix(".yaml")
    }.sorted()
    return names.compactMap { name in
      guard let text = try? String(contentsOf: experiments.appendingPathComponent(name), encoding: .utf8),
        let tree = try? ConfigValue.parseYAML(text)
      else { return nil }
      return (String(name.dropLast(5)), text, tree)
    }
  }

  static let required = [
    "id", "title", "method", "claim", "base", "seeds", "base.dataset", "base.model", "base.train",
    "base.train.epochs", "base.train.batch", "base.train.lr", "base.dataset.name", "base.model.name",
    "claim.check", "claim.check.kind",
  ]

  /// Key → values that must each be rejected there (wrong type, out of range, huge, negative, unknown name).
  static let bad: [(String, [ConfigValue])] = [
    ("base.train.epochs", ["ten", [1], 0, -3, 10_001, .int(Int.max), 1e12, 1e300]),
    ("base.train.batch", [0, -1, .int(1 << 40), "big"]),
    ("base.train.lr", [0, -0.1, "fast", .double(.infinity)]),
    ("base.train.momentum", [1.0, -0.5]),
    ("base.train.steps", [-10, 0, 1e18]),
    ("base.train.eval_every", [0, -2]),
    ("base.train.eval_batch", [0, .int(Int.max)]),
    ("base.train.warmup_epochs", [-1, 1e300]),
    ("base.train.weight_decay", [-1]),
    ("base.train.optimizer", ["sgdd"]),
    ("base.train.schedule", ["cosin"]),
    ("base.train.epoch", [3]),
    ("base.dataset.name", ["fashion-mnst", 7]),
    ("base.dataset.train_size", [0, -5, 1_000_000_000, "all"]),
    ("base.dataset.test_size", [0]),
    ("base.dataset.subset_seed", [-1]),
    ("base.model.name", ["mlpp"]),
    ("base.regularizer.name", ["dropot"]),
    ("base.regularizer.at", [5, ["nowhere"]]),
    ("base.foo", [1]),
    ("seeds", ["zero", [], [-5], [0, 0], [.int(1 << 32)]]),
    ("base", ["text"]),
    ("sweep", [[1, 2]]),
    ("method", ["dropot"]),
    ("claim.check.kind", ["better"]),
  ]

  /// Base keys every grid point overrides (a sweep axis sets them), so a bad base value there is never used.
  static func swept(_ tree: ConfigValue) -> [String] {
    let sweep = tree[path: "sweep"]?.asMap ?? [:]
    return (sweep.keys.filter { $0 != "zip" } + (sweep["zip"]?.asMap?.keys.map { $0 } ?? [])).map { "base.\($0)" }
  }

  static func cases() -> [MalformedSpec] {
    var out: [MalformedSpec] = []
    for (id, text, tree) in specs() {
      let file = "Experiments/\(id).yaml"
      let overridden = swept(tree)
      func add(_ name: String, _ mutated: ConfigValue) {
        out.append(MalformedSpec(name: "\(id): \(name)", fileName: file, yaml: mutated.canonicalJSON))
      }
      func used(_ key: String) -> Bool { !overridden.contains { key == $0 || key.hasPrefix($0 + ".") } }
      for key in required where tree[path: key] != nil && used(key) {
        var t = tree
        t[path: key] = nil
        add("drop \(key)", t)
      }
      for (key, values) in bad where used(key) {
        for value in values {
          var t = tree
          t[path: key] = value
          add("\(key) = \(value.canonicalJSON)", t)
        }
      }
      if (tree[path: "base.model.widths"] != nil || tree[path: "base.model.name"]?.asString == "mlp")
        && used("base.model.widths")
      {
        for widths: ConfigValue in [[0], [-4], [100_000_000], [60_000, 60_000, 60_000], "wide"] {
          var t = tree
          t[path: "base.model.widths"] = widths
          add("base.model.widths = \(widths.canonicalJSON)", t)
        }
      }
      if case .map(let sweep)? = tree[path: "sweep"] {
        for key in sweep.keys.sorted() where key != "zip" {
          var t = tree
          t[components: ["sweep", key]] = [["no-such-value"]]
          add("sweep.\(key) = [[\"no-such-value\"]]", t)
        }
      }
      // Text-level: nesting the parser would recurse into, and an alias bomb, before the spec's own text.
      let bomb = (0..<7).map { i in
        i == 0
          ? "a0: &a0 [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]"
          : "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 9).joined(separator: ",") + "]"
      }.joined(separator: "\n")
      out.append(MalformedSpec(name: "\(id): alias bomb", fileName: file, yaml: bomb + "\n" + text))
      for depth in [100, 100_000] {
        let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        out.append(MalformedSpec(name: "\(id): \(depth) nested [", fileName: file, yaml: "x: \(nested)\n" + text))
      }
      out.append(
        MalformedSpec(
          name: "\(id): 100 nested block items", fileName: file,
          yaml: "x: " + String(repeating: "- ", count: 100) + "1\n" + text))
      out.append(MalformedSpec(name: "\(id): unterminated quote", fileName: file, yaml: text + "\ntail: \"open\n"))
    }
    return out
  }
}

@Suite struct MalformedSpecCorpusTests {
  static let corpus = MalformedCorpus.cases()

  @Test func corpusIsLargeAndTheValidSpecsValidate() throws {
    #expect(Self.corpus.count >= 150, "\(Self.corpus.count) cases")
    for (id, text, _) in MalformedCorpus.specs() {
      let spec = try ExperimentSpec.parse(yaml: text, fileName: "Experiments/\(id).yaml")
      try spec.validate(catalog: CatalogBuilder.catalog)
    }
  }

  /// Every case is rejected with one line naming the file and a key (or a line), quickly.
  @Test(arguments: corpus) func rejectedWithOneClearLine(_ malformed: MalformedSpec) {
    let start = Date()
    let catalog = CatalogBuilder.catalog
    var checkError: SpecError?
    var spec: ExperimentSpec?
    do throws(SpecError) {
      spec = try ExperimentSpec.parse(yaml: malformed.yaml, fileName: malformed.fileName)
      try spec!.validate(catalog: catalog)
    } catch {
      checkError = error
    }
    guard let error = checkError else {
      Issue.record("accepted: \(malformed.name)")
      return
    }
    #expect(error.file == malformed.fileName)
    #expect(!error.keyPath.isEmpty || error.line != nil, "\(error)")
    #expect(!error.description.contains("\n"), "\(error)")
    // `check` rejects exactly as `run` would: its error is the one `run` gives at the first scale that fails.
    if let spec {
      var runError: SpecError?
      for scale in Set(spec.scales.keys).union(["default"]).sorted() where runError == nil {
        do throws(SpecError) { _ = try spec.plan(scale: scale, catalog: catalog) } catch { runError = error }
      }
      let runText = runError?.description ?? "accepted"
      #expect(runError == error, "run: \(runText); check: \(error.description)")
    }
    let seconds = Date().timeIntervalSince(start)
    #expect(seconds < 2, "\(malformed.name) took \(seconds) s")
  }
}
