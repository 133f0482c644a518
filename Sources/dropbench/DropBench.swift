import ArgumentParser
import Datasets
import Experiments
import Foundation
import Hashing
import Report
import Runner
import Tensor

@main
struct DropBench: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "dropbench",
    abstract: "Replicate dropout-family paper claims deterministically on CPU and report a verdict per claim.",
    discussion: """
      Specs live in Experiments/<id>.yaml; results in Reports/results/<id>.json; pages and figures in Reports/.
      Exit codes: 0 done; 1 some runs failed (the others are kept); 2 usage or spec error; 3 a regression \
      (diff, or replicate --strict); 4 not comparable (diff); 130 interrupted.
      """,
    version: "dropbench \(DropBenchVersion.release) (numerics: engine \(NumericsVersion.engine); engine source \(EngineVersion.current))",
    subcommands: [
      List.self, Check.self, Run.self, Replicate.self, Calibrate.self, ReportCommand.self, Masks.self, Diff.self, Verify.self,
      Seeds.self, GateCommand.self, Bench.self, Submit.self, Status.self, Export.self, Worker.self,
    ])

  /// Checks the CPU before any engine code runs: the engine targets are compiled for AVX2 + FMA (Package.swift),
  /// and on an older CPU their first instruction would kill the process with SIGILL and no explanation.
  static func main() {
    // Before anything else, so no thread and no worker ever runs with a signal neither handled nor defaulted.
    let command = CommandLine.arguments.dropFirst().first
    if command == "worker" {
      Interrupts.restoreDefaults()
    } else {
      // Set before the handler exists, so a signal during start-up already gets the command's own line.
      switch command {
      case "run", "replicate":
        Interrupts.setMessage("interrupted: finished runs are cached; run the same command to resume")
      case "verify": Interrupts.setMessage("interrupted: verification stopped, nothing was kept")
      default: break
      }
      Interrupts.install()
    }
    if let problem = BuildTarget.unsupportedCPU() {
      FileHandle.standardError.write(Data("error: \(problem)\n".utf8))
      Foundation.exit(2)
    }
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      Foundation.exit(report(error))
    }
  }

  /// The exit code for an error out of parsing or a command, after printing it. Commands print their own line and
  /// throw `ExitCode`; a usage error becomes one `error:` line and exit 2 (swift-argument-parser's own default is
  /// the message plus the whole usage block, and exit 64); `--help` prints the help and exits 0.
  static func report(_ error: Error) -> Int32 {
    let code = exitCode(for: error)
    if let exit = error as? ExitCode { return exit.rawValue }
    if code == .success {
      print(fullMessage(for: error))
      return 0
    }
    let text = message(for: error).split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
      .filter { !$0.isEmpty && !$0.hasPrefix("Usage:") && !$0.hasPrefix("See '") }
    let line = text.joined(separator: " ").replacingOccurrences(of: "Error: ", with: "")
    let names = configuration.subcommands.map { $0._commandName }
    let command = CommandLine.arguments.dropFirst().first.flatMap { names.contains($0) ? " \($0)" : nil } ?? ""
    let hint = "see dropbench\(command) --help"
    FileHandle.standardError.write(Data("error: \(line.isEmpty ? "\(error)" : line) (\(hint))\n".utf8))
    return 2
  }
}

/// What the engine targets were compiled for, checked against this CPU. This file is compiled for the baseline ISA.
/// `DROPBENCH_CPUINFO` names another file to read instead of /proc/cpuinfo (tests).
enum BuildTarget {
  static func unsupportedCPU(
    cpuinfo: String? = try? String(
      contentsOfFile: ProcessInfo.processInfo.environment["DROPBENCH_CPUINFO"] ?? "/proc/cpuinfo", encoding: .utf8)
  ) -> String? {
    #if DROPBENCH_NEEDS_AVX2
      guard let cpuinfo, let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
        return nil  // cannot tell: let it run
      }
      let flags = Set(line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
      let missing = ["avx2", "fma"].filter { !flags.contains($0) }
      guard !missing.isEmpty else { return nil }
      return "this build of dropbench targets AVX2 + FMA, and this CPU lacks \(missing.joined(separator: ", ")); "
        + "rebuild for the baseline ISA: rm -rf .build && DROPBENCH_TARGET_CPU=x86-64 make build"
    #else
      return nil
    #endif
  }
}

enum DropBenchVersion {
  /// The release of the command-line tool (its interface and file formats); run numbers are versioned apart, by
  /// `NumericsVersion`.
  static let release = "0.9.0"
}

/// System errors (full disk, permissions, read-only filesystem) as one plain line naming the path.
enum SystemErrors {
  /// Runs `body`; a Foundation/POSIX file error becomes "no space left on device: <path>" and the like, exit 2.
  static func plain<T>(path: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as NSError where error.domain == NSCocoaErrorDomain || error.domain == NSPOSIXErrorDomain {
      throw UserFacingError(message: "\(describe(error)): \(path)", code: 2)
    }
  }

  /// The POSIX reason under a Foundation error (strerror text), else its localized description.
  static func describe(_ error: NSError) -> String {
    if error.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(error.code))).lowercased() }
    if let underlying = error.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
      return String(cString: strerror(Int32(underlying.code))).lowercased()
    }
    switch error.code {
    case NSFileWriteOutOfSpaceError: return "no space left on device"
    case NSFileWriteNoPermissionError, NSFileReadNoPermissionError: return "permission denied"
    case NSFileWriteVolumeReadOnlyError: return "read-only file system"
    case NSFileNoSuchFileError, NSFileReadNoSuchFileError: return "no such file or directory"
    default: return error.localizedDescription
    }
  }
}

/// Options shared by commands that locate specs and results.
struct Paths: ParsableArguments {
  @Option(help: "Directory of experiment specs.") var experiments = "Experiments"
  @Option(
    name: .customLong("reports"),
    help: "Directory of reports (results JSON in <reports>/results; default Reports, the published results).")
  var reportsOption: String?
  @Option(help: "Run cache directory.") var cache = ".dropbench/cache"

  static let published = "Reports"
  var reports: String { reportsOption ?? Self.published }
  var resultsURL: URL { URL(fileURLWithPath: reports).appendingPathComponent("results") }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  case md, json
}

/// A failure the user can act on: printed as one line, mapped to an exit code, no stack trace.
struct UserFacingError: Error, CustomStringConvertible {
  var message: String
  var code: Int32
  var description: String { message }
}

extension ParsableCommand {
  /// Runs `body`, turning typed errors into one clear line on stderr and the documented exit code.
  func guarded(_ body: () throws -> Void) throws {
    do {
      try body()
    } catch let error as ExitCode {
      throw error
    } catch let error as UserFacingError {
      FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
      throw ExitCode(error.code)
    } catch let error as SpecError {
      FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      throw ExitCode(2)
    } catch RunnerError.interrupted {
      Interrupts.parkIfInterrupted()  // the signal thread prints the line and exits 130
      FileHandle.standardError.write(Data("interrupted\n".utf8))
      throw ExitCode(130)
    } catch let error as DataError {
      FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      throw ExitCode(2)
    } catch let error as NSError where error.domain == NSCocoaErrorDomain || error.domain == NSPOSIXErrorDomain {
      // A full disk or a permission problem in one plain line with the path, not a Foundation dump.
      let path = (error.userInfo[NSFilePathErrorKey] as? String) ?? (error.userInfo[NSURLErrorKey] as? URL)?.path
      FileHandle.standardError.write(
        Data("error: \(SystemErrors.describe(error))\(path.map { ": \($0)" } ?? "")\n".utf8))
      throw ExitCode(2)
    } catch {
      FileHandle.standardError.write(Data("error: \(error)\n".utf8))
      throw ExitCode(2)
    }
  }
}

enum SpecFiles {
  /// Every spec in the directory, sorted by id.
  static func all(in directory: String) throws -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    let specs = names.filter { $0.hasSuffix(".yaml") }.sorted().map { "\(directory)/\($0)" }
    if specs.isEmpty { throw UserFacingError(message: "no specs (*.yaml) in \(directory)/", code: 2) }
    return specs
  }

  /// A spec named by id (`dropout-p-sweep`) or by path (`Experiments/dropout-p-sweep.yaml`).
  static func resolve(_ name: String, in directory: String) throws -> String {
    if name.hasSuffix(".yaml") || name.contains("/") {
      guard FileManager.default.fileExists(atPath: name) else {
        throw UserFacingError(message: "no such spec file: \(name)", code: 2)
      }
      return name
    }
    let path = "\(directory)/\(name).yaml"
    guard FileManager.default.fileExists(atPath: path) else {
      let ids = ((try? all(in: directory)) ?? []).map {
        URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent
      }
      let suggestion = nearestName(to: name, in: ids).map { " (did you mean '\($0)'?)" } ?? ""
      throw UserFacingError(
        message: "unknown experiment '\(name)'\(suggestion); choices: \(ids.joined(separator: ", "))", code: 2)
    }
    return path
  }

  static func load(_ path: String) throws -> (ExperimentSpec, String) {
    let spec = try ExperimentSpec.load(path: path)
    let bytes = FileManager.default.contents(atPath: path) ?? Data()
    return (spec, SHA256.hex(Array(bytes)))
  }
}
