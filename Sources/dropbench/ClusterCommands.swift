import ArgumentParser
import Experiments
import Foundation
import Runner
import Subprocesses
import Tensor

struct Submit: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run experiments as a Slurm job array over a shared cache, then assemble results and reports.",
    discussion: """
      Writes .dropbench/slurm/<name>.sbatch (task i of the array runs `dropbench run <ids> --shard i/n`) and \
      <name>-assemble.sbatch (runs after the array, whatever its outcome: checks every run is cached, then writes \
      results and reports), submits both with sbatch --parsable and prints the job ids. The cache must be on a \
      filesystem every node shares. Re-submitting the same command after a failure or a cancelled task trains \
      only the runs that are missing.
      """)
  @Argument(help: "Experiment ids or spec paths.") var experiments: [String]
  @Option(help: "Scale of every spec: smoke, default or full.") var scale = "default"
  @Option(help: "Tasks in the job array (shards).") var arraySize = 8
  @Option(help: "Slurm partition (default: the cluster's default partition).") var partition: String?
  @Option(help: "Time limit per task, in Slurm's syntax (e.g. 4:00:00 or 1-00:00:00).") var time: String?
  @Option(help: "CPUs per task; each task runs this many worker processes.") var cpusPerTask = 1
  @Flag(help: "Write and print the scripts; submit nothing.") var dryRun = false
  @OptionGroup var paths: Paths

  func validate() throws {
    if arraySize < 1 { throw ValidationError("--array-size must be at least 1, got \(arraySize)") }
    if cpusPerTask < 1 { throw ValidationError("--cpus-per-task must be at least 1, got \(cpusPerTask)") }
    for (flag, value) in [("--partition", partition), ("--time", time)] {
      if let value, value.isEmpty || value.contains(where: \.isWhitespace) {
        throw ValidationError("\(flag) must be one word without spaces, got '\(value)'")
      }
    }
  }

  func run() throws {
    try guarded {
      let specs = try experiments.map { try SpecFiles.resolve($0, in: paths.experiments) }
      // Plan every spec here, so a bad scale or spec fails now with exit 2, not on the cluster hours later.
      var runs = 0
      for path in specs {
        runs += try SpecFiles.load(path).0.plan(scale: scale, catalog: CatalogBuilder.catalog).runs.count
      }
      if arraySize > runs {
        let idle = arraySize - runs
        FileHandle.standardError.write(
          Data("note: \(arraySize) tasks for \(runs) runs: \(idle) tasks will find nothing to train\n".utf8))
      }
      let here = FileManager.default.currentDirectoryPath
      let slurmDirectory = URL(fileURLWithPath: ".dropbench/slurm", isDirectory: true).standardizedFileURL
      // sbatch copies a script when it is submitted: a later submit reusing the name in the same second is harmless.
      let stamp = ISO8601DateFormatter.string(
        from: Date(), timeZone: TimeZone(identifier: "UTC")!,
        formatOptions: [.withYear, .withMonth, .withDay, .withTime])
      let ids = specs.map { URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent }
      let name = "dropbench-\(ids.count == 1 ? ids[0] : "\(ids[0])+\(ids.count - 1)")-\(scale)-\(stamp)"
      // Ids stay ids (resolved in the experiments directory, passed on when not the default); paths become absolute.
      let names = zip(experiments, specs).map { given, path in given == path ? absolute(path) : given }
      let job = SlurmJob(
        experiments: names, scale: scale, arraySize: arraySize, cpusPerTask: cpusPerTask,
        partition: partition, time: time, binary: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path,
        workingDirectory: here, cache: absolute(paths.cache),
        experimentsDirectory: paths.experiments == "Experiments" ? nil : absolute(paths.experiments),
        reportsDirectory: paths.reports == "Reports" ? nil : absolute(paths.reports),
        logDirectory: slurmDirectory.path, name: name)
      // sbatch splits #SBATCH lines on whitespace: a path with a space would become a different option.
      for path in [job.workingDirectory, job.logDirectory] where path.contains(where: \.isWhitespace) {
        throw UserFacingError(message: "path '\(path)' contains whitespace, which sbatch cannot take; move it", code: 2)
      }
      try FileManager.default.createDirectory(at: slurmDirectory, withIntermediateDirectories: true)
      let arrayScript = slurmDirectory.appendingPathComponent("\(name).sbatch")
      let assembleScript = slurmDirectory.appendingPathComponent("\(name)-assemble.sbatch")
      try AtomicFile.write(Data(SlurmScript.array(job).utf8), to: arrayScript)
      try AtomicFile.write(Data(SlurmScript.assemble(job).utf8), to: assembleScript)
      if dryRun {
        print("# \(arrayScript.path)\n\(SlurmScript.array(job))")
        print("# \(assembleScript.path) (sbatch --dependency=afterany:<array job id>)\n\(SlurmScript.assemble(job))")
        return
      }
      let arrayID = try Sbatch.submit([arrayScript.path], what: "the job array")
      let assembleID: String
      do {
        assembleID = try Sbatch.submit(
          ["--dependency=afterany:\(arrayID)", assembleScript.path], what: "the assembling job")
      } catch let error as UserFacingError {
        // The array is queued already: say how to finish without it rather than leave it unexplained.
        throw UserFacingError(
          message: "\(error.message); array job \(arrayID) is queued: when it ends, submit "
            + "\(assembleScript.path) yourself, or scancel \(arrayID)", code: error.code)
      }
      print("\(arrayID) \(assembleID)")
      let selection = [
        paths.cache == ".dropbench/cache" ? nil : "--cache \(paths.cache)",
        paths.experiments == "Experiments" ? nil : "--experiments \(paths.experiments)",
      ].compactMap { $0 }
      FileHandle.standardError.write(
        Data(
          ("submitted \(runs) runs as array job \(arrayID) (\(arraySize) tasks) and assembling job \(assembleID); "
            + "logs in \(slurmDirectory.path)/; progress: dropbench status \(experiments.joined(separator: " ")) "
            + (["--scale \(scale)"] + selection).joined(separator: " ") + "\n").utf8))
    }
  }

  func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
}

enum Sbatch {
  /// Runs `sbatch --parsable <arguments>` and returns the job id.
  static func submit(_ arguments: [String], what: String) throws -> String {
    guard Subprocess.onPath("sbatch") else {
      throw UserFacingError(
        message: "sbatch not found on PATH: run submit on a Slurm login node, or add --dry-run to write the scripts",
        code: 2)
    }
    let output = try Subprocess.run(["sbatch", "--parsable"] + arguments)
    guard output.status == 0, let id = SlurmScript.parseJobID(output.stdoutText) else {
      let reason = output.stderr.split(whereSeparator: \.isNewline).map(String.init).joined(separator: " ")
      throw UserFacingError(
        message: "sbatch rejected \(what): \(reason.isEmpty ? output.stdoutText : reason) (check --partition, --time "
          + "and --cpus-per-task against sinfo)", code: 2)
    }
    return id
  }
}

struct Status: ParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Runs done (cached), running and missing per experiment, locally or while a Slurm array runs.",
    discussion: """
      Reads the cache only; a run is running while a process holds its lock file (<cache>/<key>.lock). Cache keys \
      include the kernel selection of this machine: on a cluster, run it on a node of the compute nodes' CPU type \
      (or set DROPBENCH_BLAS_CORETYPE and DROPBENCH_DNNL_ISA to theirs). \
      Exit 0; with --require-complete, exit 1 when a run is not done (running or missing).
      """)
  @Argument(help: "Experiment ids or spec paths (default: every spec).") var experiments: [String] = []
  @Option(help: "Scale of every spec: smoke, default or full.") var scale = "default"
  @Flag(help: "Exit 1 when any run is missing (used by the assembling Slurm job).") var requireComplete = false
  @OptionGroup var paths: Paths

  func run() throws {
    var missing = 0
    try guarded {
      let specs =
        experiments.isEmpty
        ? try SpecFiles.all(in: paths.experiments)
        : try experiments.map { try SpecFiles.resolve($0, in: paths.experiments) }
      let cache = RunCache(directory: URL(fileURLWithPath: paths.cache))
      let kernels = KernelSelection.automatic()
      for path in specs {
        let plan = try SpecFiles.load(path).0.plan(scale: scale, catalog: CatalogBuilder.catalog)
        // One entry per distinct key: two grid points sharing a config are one run in the cache.
        var keys: [String] = []
        var seen = Set<String>()
        for k in try ExperimentRunner.keyedRuns(plan, kernels: kernels) where seen.insert(k.key).inserted {
          keys.append(k.key)
        }
        let left = keys.filter { cache.load($0) == nil }  // a damaged file is redone, as `run` would
        // A worker holds `<key>.lock` while it trains the run, and the lock dies with its process.
        let running = left.filter { RunLock.isHeld(cache.lockURL(for: $0)) }.count
        missing += left.count
        print(
          "\(plan.spec.id) [\(scale)]: \(keys.count - left.count)/\(keys.count) runs done, \(running) running, "
            + "\(left.count - running) missing")
      }
    }
    if requireComplete && missing > 0 { throw ExitCode(1) }
  }
}
