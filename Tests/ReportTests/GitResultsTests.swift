import Experiments
import Foundation
import Subprocesses
import Testing

@testable import Report

@Suite struct GitResultsTests {
  /// Runs git in `repo`, failing the test on a non-zero exit.
  func git(_ repo: URL, _ arguments: String...) throws {
    let out = try Subprocess.run(
      [
        "git", "-C", repo.path, "-c", "user.name=Test", "-c", "user.email=test@example.com",
        "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main",
      ] + arguments)
    try #require(out.status == 0, "git \(arguments.joined(separator: " ")): \(out.stderr)")
  }

  func writeResults(_ r: ExperimentResults, in repo: URL) throws {
    let dir = repo.appendingPathComponent("Reports/results")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try Fixtures.json(r).write(to: dir.appendingPathComponent("\(r.experimentID).json"))
  }

  @Test func loadsRevisionsAndWorkingTree() throws {
    let repo = try Fixtures.temporaryDirectory("git")
    defer { try? FileManager.default.removeItem(at: repo) }
    try git(repo, "init", "-q")
    // Before any results exist at a revision, it simply has none.
    try "x\n".write(to: repo.appendingPathComponent("README"), atomically: true, encoding: .utf8)
    try git(repo, "add", "README")
    try git(repo, "commit", "-q", "-m", "empty")
    #expect(try GitResults.load(revision: "HEAD", repo: repo).isEmpty)

    let original = Fixtures.numeric()
    try writeResults(original, in: repo)
    try git(repo, "add", "Reports")
    try git(repo, "commit", "-q", "-m", "results")
    let flipped = Fixtures.numeric { set, rate, _, v in set == "set-a" && rate == 0.0 ? v + 5 : v }
    try writeResults(flipped, in: repo)
    try git(repo, "commit", "-q", "-am", "new results")
    try writeResults(Fixtures.arms(), in: repo)  // uncommitted, working tree only

    let old = try GitResults.load(revision: "HEAD~1", repo: repo)
    let new = try GitResults.load(revision: "HEAD", repo: repo)
    let work = try GitResults.load(revision: nil, repo: repo)
    #expect(old == [original])
    #expect(new == [flipped])
    #expect(work.map(\.experimentID) == ["toy-arms", "toy-p-sweep"])
    // From a subdirectory too.
    let sub = try GitResults.load(revision: "HEAD~1", repo: repo.appendingPathComponent("Reports"))
    #expect(sub == [original])

    let diff = try DiffReport.compare(revisionA: "HEAD~1", revisionB: "HEAD") {
      try GitResults.load(revision: $0, repo: repo)
    }
    #expect(diff.experiments.first?.verdictChanged == true)
    #expect(diff.hasRegression)
  }

  @Test func unknownRevisionAndNotARepository() throws {
    let repo = try Fixtures.temporaryDirectory("git-errors")
    defer { try? FileManager.default.removeItem(at: repo) }
    #expect(throws: GitResultsError.notARepository(repo.path)) {
      try GitResults.load(revision: "HEAD", repo: repo)
    }
    try git(repo, "init", "-q")
    try writeResults(Fixtures.numeric(), in: repo)
    try git(repo, "add", "Reports")
    try git(repo, "commit", "-q", "-m", "results")
    #expect(throws: GitResultsError.unknownRevision("no-such-branch")) {
      try GitResults.load(revision: "no-such-branch", repo: repo)
    }
    #expect(throws: GitResultsError.unknownRevision("--help")) {
      try GitResults.load(revision: "--help", repo: repo)
    }
    #expect(GitResultsError.unknownRevision("v9").description.contains("unknown revision 'v9'"))
  }

  @Test func badCommittedResultsNameTheFile() throws {
    let repo = try Fixtures.temporaryDirectory("git-bad")
    defer { try? FileManager.default.removeItem(at: repo) }
    try git(repo, "init", "-q")
    let dir = repo.appendingPathComponent("Reports/results")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try Data("{\"schemaVersion\": 99}".utf8).write(to: dir.appendingPathComponent("future.json"))
    try git(repo, "add", "Reports")
    try git(repo, "commit", "-q", "-m", "future")
    do {
      _ = try GitResults.load(revision: "HEAD", repo: repo)
      Issue.record("expected an error")
    } catch {
      #expect(error.description.contains("HEAD:Reports/results/future.json"))
      #expect(error.description.contains("unknown schemaVersion 99"))
    }
  }
}
