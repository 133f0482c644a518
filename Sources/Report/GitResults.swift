import Experiments
import Foundation
import Subprocesses

/// Why results could not be read from a git revision.
public enum GitResultsError: Error, CustomStringConvertible, Equatable {
  /// `repo` is not inside a git work tree.
  case notARepository(String)
  /// The revision does not name a commit in the repository.
  case unknownRevision(String)
  /// `git` itself is missing or failed.
  case gitFailed(command: String, message: String)
  /// A results file at the revision is unusable.
  case badResults(revision: String, file: String, message: String)

  public var description: String {
    switch self {
    case .notARepository(let path): return "\(path) is not a git repository (diff reads results from git history)"
    case .unknownRevision(let rev):
      return
        "unknown revision '\(rev)' (not a commit in this repository; try a branch, tag or commit hash from git log)"
    case .gitFailed(let command, let message): return "\(command) failed: \(message)"
    case .badResults(let revision, let file, let message): return "\(revision):\(file): \(message)"
    }
  }
}

/// Reads `Reports/results/*.json` as committed at a git revision, or from the working tree.
public enum GitResults {
  /// The results at `revision` (nil: the working tree's files), sorted by experiment id.
  /// A revision without a results directory has no results (an empty list).
  /// - Parameters:
  ///   - revision: any commit-ish git accepts (`HEAD~1`, a branch, a hash); nil reads the files on disk.
  ///   - repo: a directory inside the repository.
  ///   - resultsPath: the results directory relative to the repository root.
  public static func load(
    revision: String?, repo: URL, resultsPath: String = "Reports/results"
  ) throws(GitResultsError) -> [ExperimentResults] {
    guard let revision else {
      let directory = repo.appendingPathComponent(resultsPath)
      guard FileManager.default.fileExists(atPath: directory.path) else { return [] }
      do {
        return try ResultsStore.loadAll(from: directory)
      } catch {
        throw .badResults(revision: "working tree", file: error.file, message: error.message)
      }
    }
    let top = try git(["rev-parse", "--show-toplevel"], in: repo, onFailure: { _ in .notARepository(repo.path) })
    let root = URL(
      fileURLWithPath: String(decoding: top, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    guard !revision.hasPrefix("-") else { throw .unknownRevision(revision) }
    _ = try git(
      ["rev-parse", "--verify", "--quiet", "\(revision)^{commit}"], in: root,
      onFailure: { _ in .unknownRevision(revision) })
    let directory = resultsPath.hasSuffix("/") ? resultsPath : resultsPath + "/"
    let listing = try git(["ls-tree", "--name-only", revision, directory], in: root, onFailure: nil)
    let files = String(decoding: listing, as: UTF8.self).split(separator: "\n").map(String.init)
      .filter { $0.hasSuffix(".json") }.sorted()
    var results: [ExperimentResults] = []
    for file in files {
      let data = try git(["show", "\(revision):\(file)"], in: root, onFailure: nil)
      do {
        results.append(try ResultsStore.decode(data, file: file))
      } catch {
        throw .badResults(revision: revision, file: file, message: error.message)
      }
    }
    return results.sorted { $0.experimentID < $1.experimentID }
  }

  /// Runs `git -C <dir> <arguments>`; a non-zero exit becomes `onFailure(stderr)` or `.gitFailed`.
  private static func git(
    _ arguments: [String], in directory: URL, onFailure: ((String) -> GitResultsError)?
  ) throws(GitResultsError) -> Data {
    let command = "git " + arguments.joined(separator: " ")
    let output: Subprocess.Output
    do {
      output = try Subprocess.run(["git", "-C", directory.path] + arguments)
    } catch {
      throw .gitFailed(command: command, message: "cannot run git: \(error.localizedDescription)")
    }
    if output.status == 127 { throw .gitFailed(command: command, message: "git is not installed") }
    guard output.status == 0 else {
      let message = output.stderr.trimmingCharacters(in: .whitespacesAndNewlines)
      throw onFailure?(message) ?? .gitFailed(command: command, message: message)
    }
    return output.stdout
  }
}
