import Experiments
import Foundation

/// The run records of the committed results (`Reports/results/*.json`): a read-only tier of the run cache, below
/// `.dropbench/cache`. A run whose key matches a committed record is taken from it instead of being trained, as
/// DVC's `repro` skips a stage whose inputs are unchanged: a fresh clone at unchanged code regenerates `Reports/`
/// without training, and a sweep committed part-way resumes on another machine.
///
/// A key names everything that decides a run's numbers (`RunCache.key`: config, declared numerics versions, data
/// checksums, kernels, compile target), so a matching record is what this build would compute. `verify` re-trains a
/// sample to audit that; `--retrain` ignores this tier and the cache.
public struct CommittedRecords: Sendable {
  /// Records by key (the first file in name order wins; two files holding one key hold one run).
  public let records: [String: RunRecord]
  /// Records by experiment (its results file's id) and key: a run two specs share is taken from the spec's own
  /// file first, so re-assembling its results reproduces them byte for byte (the copies differ in wall time).
  public let byExperiment: [String: [String: RunRecord]]
  /// Files that could not be read, one line each (`file: reason`); they are skipped, never fatal.
  public let skipped: [String]

  public init(
    records: [String: RunRecord] = [:], skipped: [String] = [], byExperiment: [String: [String: RunRecord]] = [:]
  ) {
    self.records = records
    self.skipped = skipped
    self.byExperiment = byExperiment
  }

  public static let none = CommittedRecords()

  /// The record of `key`, from `experiment`'s own results first.
  public func record(_ key: String, experiment: String? = nil) -> RunRecord? {
    experiment.flatMap { byExperiment[$0]?[key] } ?? records[key]
  }

  /// Reads every `*.json` in `directory` and in its `partial/` folder (`PartialResults`; missing directory: no
  /// records). Only finished records (status ok, diverged or stalled: outcomes of the run, not of the machine) are
  /// offered; failed ones are retrained.
  public static func load(from directory: URL) -> CommittedRecords {
    struct Runs: Decodable {
      var experimentID: String?
      var runs: [RunRecord]
      /// A robustness axis's runs (`ExperimentResults.robustnessRuns`) are committed records like any other.
      var robustnessRuns: [RunRecord]?
    }
    let fm = FileManager.default
    func jsonFiles(_ folder: String) -> [String] {
      let names = (try? fm.contentsOfDirectory(atPath: directory.appendingPathComponent(folder).path)) ?? []
      return names.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted().map { folder.isEmpty ? $0 : "\(folder)/\($0)" }
    }
    let names = jsonFiles("") + jsonFiles(PartialResults.folder)
    var records: [String: RunRecord] = [:]
    var byExperiment: [String: [String: RunRecord]] = [:]
    var skipped: [String] = []
    let decoder = ExperimentResults.decoder()
    for name in names {
      let url = directory.appendingPathComponent(name)
      guard let data = fm.contents(atPath: url.path) else {
        skipped.append("\(url.path): cannot read the file")
        continue
      }
      do {
        let file = try decoder.decode(Runs.self, from: data)
        for record in file.runs + (file.robustnessRuns ?? []) where record.status != .failed {
          if records[record.key] == nil { records[record.key] = record }
          if let id = file.experimentID, byExperiment[id]?[record.key] == nil { byExperiment[id, default: [:]][record.key] = record }
        }
      } catch {
        skipped.append("\(url.path): not a readable results file")
      }
    }
    return CommittedRecords(records: records, skipped: skipped, byExperiment: byExperiment)
  }
}

/// The finished runs of an experiment whose sweep is not complete yet (`<results>/partial/<id>.json`): written when
/// a run ends with runs left (another shard's, or failed ones), removed once the results are complete.
/// Committed, they let another machine resume the sweep: `CommittedRecords` reads them.
public struct PartialResults: Codable, Sendable {
  public static let folder = "partial"
  public var experimentID: String
  public var scale: String
  public var overrides: [String]?
  public var runs: [RunRecord]

  public init(experimentID: String, scale: String, overrides: [String], runs: [RunRecord]) {
    self.experimentID = experimentID
    self.scale = scale
    self.overrides = overrides.isEmpty ? nil : overrides
    self.runs = runs
  }

  public static func url(in results: URL, id: String) -> URL {
    results.appendingPathComponent(folder).appendingPathComponent("\(id).json")
  }
}
