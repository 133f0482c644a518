import Foundation
import Testing

@testable import Runner

@Suite struct SlurmScriptTests {
  let job = SlurmJob(
    experiments: ["dropout-p-sweep", "cutout-patch-length"], scale: "smoke", arraySize: 4, cpusPerTask: 2,
    partition: "short", time: "1:00:00", binary: "/opt/db/dropbench", workingDirectory: "/shared/repo",
    cache: "/shared/cache", logDirectory: "/shared/repo/.dropbench/slurm", name: "dropbench-x")

  func lines(_ script: String) -> [String] { script.split(separator: "\n").map(String.init) }

  @Test func arrayTaskRunsItsShardWithItsCPUs() {
    let script = lines(SlurmScript.array(job))
    #expect(script.first == "#!/bin/bash")
    #expect(script.contains("#SBATCH --array=0-3"))
    #expect(script.contains("#SBATCH --cpus-per-task=2"))
    #expect(script.contains("#SBATCH --partition=short"))
    #expect(script.contains("#SBATCH --time=1:00:00"))
    #expect(script.contains("#SBATCH --chdir=/shared/repo"))
    #expect(script.contains("#SBATCH --output=/shared/repo/.dropbench/slurm/%x-%A_%a.out"))
    #expect(script.contains("cd /shared/repo"))
    #expect(
      script.last
        == "exec /opt/db/dropbench run dropout-p-sweep cutout-patch-length --scale smoke "
        + "--shard \"${SLURM_ARRAY_TASK_ID}/4\" --jobs 2 --plain --cache /shared/cache")
    // Every directive comes before the first command, or sbatch ignores it.
    let firstCommand = script.firstIndex { !$0.hasPrefix("#") }!
    #expect(script[firstCommand...].allSatisfy { !$0.hasPrefix("#SBATCH") })
  }

  @Test func assemblingJobChecksTheCacheThenRunsEverything() {
    let script = lines(SlurmScript.assemble(job))
    #expect(!script.contains { $0.hasPrefix("#SBATCH --array") })
    #expect(script.contains("#SBATCH --job-name=dropbench-x-assemble"))
    let status = script.first { $0.contains(" status ") }!
    #expect(
      status.hasPrefix(
        "/opt/db/dropbench status dropout-p-sweep cutout-patch-length --scale smoke --cache /shared/cache "
          + "--require-complete || {"))
    #expect(status.hasSuffix("exit 1; }"))
    #expect(
      script.last
        == "exec /opt/db/dropbench run dropout-p-sweep cutout-patch-length --scale smoke --jobs 2 --plain "
        + "--cache /shared/cache")
    #expect(!script.last!.contains("--shard"))
  }

  @Test func optionalDirectivesAndDirectoriesAreOmittedOrPassedOn() {
    var bare = job
    bare.partition = nil
    bare.time = nil
    bare.experimentsDirectory = "/tmp/specs"
    bare.reportsDirectory = "/tmp/my reports"
    let array = SlurmScript.array(bare)
    #expect(!array.contains("--partition"))
    #expect(!array.contains("--time"))
    #expect(array.contains("--cache /shared/cache --experiments /tmp/specs --reports '/tmp/my reports'\n"))
    #expect(SlurmScript.assemble(bare).contains("--experiments /tmp/specs --reports '/tmp/my reports'"))
  }

  @Test func quotingKeepsEveryCharacterLiteral() {
    #expect(SlurmScript.quote("plain-id_1.yaml") == "plain-id_1.yaml")
    #expect(SlurmScript.quote("") == "''")
    #expect(SlurmScript.quote("a b") == "'a b'")
    #expect(SlurmScript.quote("it's $HOME") == "'it'\\''s $HOME'")
  }

  @Test func scriptsRunUnderBashAsWritten() throws {
    // bash -n parses without running: catches a quoting slip that string comparisons would not.
    for script in [SlurmScript.array(job), SlurmScript.assemble(job)] {
      let file = FileManager.default.temporaryDirectory.appendingPathComponent("slurm-\(UUID().uuidString).sh")
      try Data(script.utf8).write(to: file)
      defer { try? FileManager.default.removeItem(at: file) }
      let bash = Process()
      bash.executableURL = URL(fileURLWithPath: "/bin/bash")
      bash.arguments = ["-n", file.path]
      try bash.run()
      bash.waitUntilExit()
      #expect(bash.terminationStatus == 0)
    }
  }

  @Test func parsableOutputGivesTheJobID() {
    #expect(SlurmScript.parseJobID("1234\n") == "1234")
    #expect(SlurmScript.parseJobID("1234;cluster\n") == "1234")
    #expect(SlurmScript.parseJobID("sbatch: warning: something\n99\n") == "99")
    #expect(SlurmScript.parseJobID("") == nil)
    #expect(SlurmScript.parseJobID("Submitted batch job 12") == nil)
  }
}
