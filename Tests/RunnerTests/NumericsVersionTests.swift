import Datasets
import Experiments
import Foundation
import Regularizers
import Tensor
import Testing

@testable import Runner

/// Cache keys carry declared numerics versions, not source bytes: stored records survive edits that move no bit,
/// and every committed record is found under the key this build computes for its run.
@Suite struct NumericsVersionTests {
  /// Each method's tag names it and its version, then every method it uses — one tag per method file its numbers
  /// depend on (`sourceFiles`), so a bump of Dropout moves DropConnect's keys too.
  @Test func everyMethodTagCoversTheMethodsItUses() {
    for descriptor in RegularizerRegistry.all {
      let tags = descriptor.numericsTag.split(separator: "+")
      #expect(tags.first == Substring("\(descriptor.name):\(descriptor.numerics)"))
      #expect(tags.allSatisfy { $0.split(separator: ":").count == 2 && Int($0.split(separator: ":")[1]) != nil })
      #expect(tags.count >= descriptor.sourceFiles.count, "\(descriptor.name): \(descriptor.numericsTag)")
    }
    let dropConnect = RegularizerRegistry.descriptor("dropconnect")!.numericsTag
    #expect(dropConnect.hasPrefix("dropconnect:") && dropConnect.contains("+dropout:"))
    #expect(EngineVersion.numericsTag("no-such-method") == "no-such-method:unknown")
  }

  /// The key's material is the declared versions: two keys of one config differ only through the config, the data,
  /// the kernels or a method's tag.
  @Test func theKeyNamesTheMethodsTag() {
    let dropout: ConfigValue = ["regularizer": ["name": "dropout", "rate": 0.5], "seed": 0]
    let maxNorm: ConfigValue = ["regularizer": ["name": "max-norm"], "seed": 0]
    let a = RunCache.key(configTree: dropout, datasetChecksums: [:], kernels: "k")
    #expect(a == RunCache.key(configTree: dropout, datasetChecksums: [:], kernels: "k"))
    #expect(a != RunCache.key(configTree: maxNorm, datasetChecksums: [:], kernels: "k"))
    #expect(NumericsVersion.engineTag == "numerics-\(NumericsVersion.engine)")
  }

  /// What lets a fresh clone regenerate `Reports/` without training: every committed record's key is the key this
  /// build computes for its planned run (with the kernels the record was made with). A change to the key's material
  /// or a numerics bump without re-running the affected specs fails here.
  @Test func everyCommittedRecordIsFoundUnderItsKey() throws {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let results = root.appendingPathComponent("Reports/results")
    let names = try FileManager.default.contentsOfDirectory(atPath: results.path).filter { $0.hasSuffix(".json") }
    #expect(names.count >= 20)
    let decoder = ExperimentResults.decoder()
    for name in names.sorted() {
      let stored = try decoder.decode(ExperimentResults.self, from: Data(contentsOf: results.appendingPathComponent(name)))
      let spec = try ExperimentSpec.load(path: root.appendingPathComponent("Experiments/\(stored.experimentID).yaml").path)
      let plan = try spec.plan(scale: stored.scale, catalog: CatalogBuilder.catalog)
      let kernels = KernelSelection(blasCoreType: stored.provenance.blasCoreType, dnnlISA: stored.provenance.dnnlISA)
      let keys = Set(try ExperimentRunner.keyedRuns(plan, kernels: kernels).map(\.key))
      let missing = stored.runs.filter { !keys.contains($0.key) }
      #expect(missing.isEmpty, "\(stored.experimentID): \(missing.count) of \(stored.runs.count) records not under this build's keys")
    }
  }
}

@Suite struct ProgressLineTests {
  /// The live line never reaches the terminal's last column: a wrapped line leaves debris at every redraw.
  @Test func theLineFitsTheTerminal() {
    let running = (0..<6).map { "regularizer.at=[block2_branch, block3_skip] seed \($0) epoch 3/30 loss 0.412" }
      .joined(separator: " | ")
    for width in [40, 80, 120, 200] {
      let line = ProgressDisplay.line("dropblock-placement", done: 7, total: 25, eta: "12m03s", running: running, width: width)
      #expect(line.count <= width - 1, "\(width): \(line.count)")
      #expect(line.hasPrefix("dropblock-placement") && line.contains("7/25 eta 12m03s"))
    }
    let short = ProgressDisplay.line("tiny", done: 1, total: 4, eta: "3s", running: "a seed 0 epoch 1/2", width: 80)
    #expect(short == "tiny [######..................] 1/4 eta 3s  a seed 0 epoch 1/2")
  }
}
