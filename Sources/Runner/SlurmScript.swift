import Foundation

/// What `dropbench submit` puts on a cluster: a job array whose task i runs shard i of n, and a job that runs after
/// the array to assemble results and reports from the (then complete) shared cache.
public struct SlurmJob: Sendable, Equatable {
  public var experiments: [String]
  public var scale: String
  public var arraySize: Int
  public var cpusPerTask: Int
  public var partition: String?
  /// Slurm's time limit syntax (`MM`, `HH:MM:SS`, `D-HH`…), passed through for sbatch to check.
  public var time: String?
  /// Absolute paths: a job's working directory is the repository, but absolute paths survive a changed `--chdir`.
  public var binary: String
  public var workingDirectory: String
  public var cache: String
  public var experimentsDirectory: String?
  public var reportsDirectory: String?
  /// Where Slurm writes each task's output (`<name>-<job>_<task>.out`).
  public var logDirectory: String
  public var name: String

  public init(
    experiments: [String], scale: String, arraySize: Int, cpusPerTask: Int, partition: String? = nil,
    time: String? = nil, binary: String, workingDirectory: String, cache: String, experimentsDirectory: String? = nil,
    reportsDirectory: String? = nil, logDirectory: String, name: String
  ) {
    self.experiments = experiments
    self.scale = scale
    self.arraySize = arraySize
    self.cpusPerTask = cpusPerTask
    self.partition = partition
    self.time = time
    self.binary = binary
    self.workingDirectory = workingDirectory
    self.cache = cache
    self.experimentsDirectory = experimentsDirectory
    self.reportsDirectory = reportsDirectory
    self.logDirectory = logDirectory
    self.name = name
  }
}

public enum SlurmScript {
  /// The job array: task i trains shard i/n of every experiment into the shared cache. `--plain` because a task's
  /// output is a log file, not a terminal; `--jobs` equals the CPUs Slurm gave the task, no more.
  public static func array(_ job: SlurmJob) -> String {
    let run =
      [quote(job.binary), "run"] + job.experiments.map(quote)
      + [
        "--scale", quote(job.scale), "--shard", "\"${SLURM_ARRAY_TASK_ID}/\(job.arraySize)\"", "--jobs",
        "\(job.cpusPerTask)", "--plain",
      ] + pathOptions(job)
    return header(job, name: job.name, extra: ["--array=0-\(job.arraySize - 1)"], output: "%x-%A_%a.out")
      + "exec " + run.joined(separator: " ") + "\n"
  }

  /// The assembling job, submitted with `--dependency=afterany:<array>`: it runs whether tasks succeeded, failed
  /// or were cancelled. It first checks that every run is cached and otherwise fails, naming the fix, instead of
  /// training the missing runs itself on one task's CPUs and time limit.
  public static func assemble(_ job: SlurmJob) -> String {
    let ids = job.experiments.map(quote)
    let scale = ["--scale", quote(job.scale)]
    let status = [quote(job.binary), "status"] + ids + scale + pathOptions(job) + ["--require-complete"]
    let run =
      [quote(job.binary), "run"] + ids + scale + ["--jobs", "\(job.cpusPerTask)", "--plain"] + pathOptions(job)
    let hint =
      "dropbench: runs are missing (a task failed or was cancelled); submit the same command again: "
      + "finished runs are cached and only the missing ones are trained"
    return header(job, name: "\(job.name)-assemble", extra: [], output: "%x-%j.out")
      + status.joined(separator: " ") + " || { echo \(quote(hint)) >&2; exit 1; }\n"
      + "exec " + run.joined(separator: " ") + "\n"
  }

  /// `--cache`, and `--experiments`/`--reports` when given, for both scripts' commands.
  static func pathOptions(_ job: SlurmJob) -> [String] {
    var options = ["--cache", quote(job.cache)]
    if let dir = job.experimentsDirectory { options += ["--experiments", quote(dir)] }
    if let dir = job.reportsDirectory { options += ["--reports", quote(dir)] }
    return options
  }

  static func header(_ job: SlurmJob, name: String, extra: [String], output: String) -> String {
    var directives = ["--job-name=\(name)"] + extra + ["--cpus-per-task=\(job.cpusPerTask)", "--ntasks=1"]
    if let partition = job.partition { directives.append("--partition=\(partition)") }
    if let time = job.time { directives.append("--time=\(time)") }
    directives += ["--chdir=\(job.workingDirectory)", "--output=\(job.logDirectory)/\(output)"]
    // #SBATCH lines are not parsed by a shell: no quoting there (sbatch splits them on whitespace, so paths with
    // spaces are rejected by `submit` before this point).
    return "#!/bin/bash\n# Written by dropbench submit.\n"
      + directives.map { "#SBATCH \($0)\n" }.joined()
      + "set -euo pipefail\ncd \(quote(job.workingDirectory))\n"
  }

  /// Single-quoted for bash: every character literal, `'` written as `'\''`.
  public static func quote(_ s: String) -> String {
    let safe = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+@%")
    if !s.isEmpty && s.unicodeScalars.allSatisfy(safe.contains) { return s }
    return "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  /// The job id in `sbatch --parsable` output: `<id>` or `<id>;<cluster>`.
  public static func parseJobID(_ output: String) -> String? {
    let first = output.split(whereSeparator: \.isNewline).last.map(String.init) ?? ""
    let id = first.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
    return !id.isEmpty && id.allSatisfy(\.isNumber) ? id : nil
  }
}
