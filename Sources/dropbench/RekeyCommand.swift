import ArgumentParser
import Experiments
import Foundation
import Report
import Runner
import Tensor

/// One-off migration (removed after use): rewrites the keys of committed records under the numerics-version key.
struct Rekey: ParsableCommand {
  static let configuration = CommandConfiguration(abstract: "Internal migration.", shouldDisplay: false)
  @OptionGroup var paths: Paths

  func run() throws {
    try guarded {
      for path in try SpecFiles.all(in: paths.experiments) {
        let (spec, _) = try SpecFiles.load(path)
        let file = paths.resultsURL.appendingPathComponent("\(spec.id).json")
        guard let data = FileManager.default.contents(atPath: file.path) else { continue }
        var stored = try ResultsStore.decode(data, file: file.path)
        let plan = try spec.plan(scale: stored.scale, overrides: [], catalog: CatalogBuilder.catalog)
        let kernels = KernelSelection(
          blasCoreType: stored.provenance.blasCoreType, dnnlISA: stored.provenance.dnnlISA)
        let keyed = try ExperimentRunner.keyedRuns(plan, kernels: kernels)
        var byConfig: [ConfigValue: String] = [:]
        for k in keyed { byConfig[k.run.configTree] = k.key }
        var changed = 0
        var unmatched = 0
        for i in stored.runs.indices {
          guard let key = byConfig[stored.runs[i].config] else {
            unmatched += 1
            continue
          }
          if stored.runs[i].key != key { changed += 1 }
          stored.runs[i].key = key
        }
        if unmatched > 0 {
          print("\(spec.id): \(unmatched) of \(stored.runs.count) records match no planned run; left as they are")
          continue
        }
        try AtomicFile.write(JSON.encode(stored), to: file)
        print("\(spec.id): \(changed)/\(stored.runs.count) keys rewritten")
      }
    }
  }
}
