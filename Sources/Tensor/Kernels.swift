#if canImport(Glibc)
  import Glibc
#endif
import CDNNL

/// Which compute kernels this process uses. They change result bits, so the selection is explicit, recorded in
/// every result's provenance and part of every run's cache key.
public struct KernelSelection: Codable, Sendable, Hashable {
  /// OpenBLAS core type (`OPENBLAS_CORETYPE`), e.g. `SkylakeX` or `Haswell`.
  public var blasCoreType: String
  /// Highest instruction set oneDNN may use, e.g. `avx512_core` or `avx2`.
  public var dnnlISA: String

  public init(blasCoreType: String, dnnlISA: String) {
    self.blasCoreType = blasCoreType
    self.dnnlISA = dnnlISA
  }

  /// SkylakeX / avx512_core where the CPU has AVX-512F, Haswell / avx2 otherwise: the same choice gives the same
  /// bits on Intel and AMD hosts of one ISA level. `DROPBENCH_BLAS_CORETYPE` and `DROPBENCH_DNNL_ISA` override.
  public static func automatic(cpu: CPUInfo = .current, environment: [String: String] = environ())
    -> KernelSelection
  {
    let avx512 = cpu.flags.contains("avx512f") && cpu.flags.contains("avx512bw") && cpu.flags.contains("avx512vl")
    let avx2 = cpu.flags.contains("avx2") && cpu.flags.contains("fma")
    let core = environment["DROPBENCH_BLAS_CORETYPE"] ?? (avx512 ? "SkylakeX" : avx2 ? "Haswell" : "Sandybridge")
    let isa = environment["DROPBENCH_DNNL_ISA"] ?? (avx512 ? "avx512_core" : avx2 ? "avx2" : "sse41")
    return KernelSelection(blasCoreType: core, dnnlISA: isa)
  }

  public static let dnnlISAs: [String: dnnl_cpu_isa_t] = [
    "sse41": dnnl_cpu_isa_sse41, "avx": dnnl_cpu_isa_avx, "avx2": dnnl_cpu_isa_avx2,
    "avx512_core": dnnl_cpu_isa_avx512_core, "avx512_core_vnni": dnnl_cpu_isa_avx512_core_vnni,
    "avx512_core_bf16": dnnl_cpu_isa_avx512_core_bf16,
  ]
}

public func environ() -> [String: String] {
  var result: [String: String] = [:]
  var p = Glibc.environ
  while let entry = p.pointee {
    let s = String(cString: entry)
    if let eq = s.firstIndex(of: "=") { result[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
    p += 1
  }
  return result
}

/// The CPU as `/proc/cpuinfo` describes it.
public struct CPUInfo: Sendable {
  public var model: String
  public var flags: Set<String>

  public static let current: CPUInfo = {
    guard let text = try? readTextFile("/proc/cpuinfo") else { return CPUInfo(model: "unknown", flags: []) }
    var model = "unknown"
    var flags: Set<String> = []
    for line in text.split(separator: "\n") {
      let parts = line.split(separator: ":", maxSplits: 1)
      guard parts.count == 2 else { continue }
      let key = parts[0].trimmingSpaces
      if key == "model name" && model == "unknown" { model = parts[1].trimmingSpaces }
      if key == "flags" && flags.isEmpty { flags = Set(parts[1].split(separator: " ").map(String.init)) }
    }
    return CPUInfo(model: model, flags: flags)
  }()
}

extension Substring {
  var trimmingSpaces: String {
    String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
  }
}

/// Reads a whole file as UTF-8 without Foundation (the numeric modules stay Foundation-free).
public func readTextFile(_ path: String) throws -> String {
  guard let f = fopen(path, "r") else { throw KernelError.cannotOpen(path) }
  defer { fclose(f) }
  var bytes: [UInt8] = []
  var chunk = [UInt8](repeating: 0, count: 65536)
  while true {
    let n = fread(&chunk, 1, chunk.count, f)
    if n <= 0 { break }
    bytes.append(contentsOf: chunk[0..<n])
  }
  return String(decoding: bytes, as: UTF8.self)
}

public enum KernelError: Error, CustomStringConvertible {
  case cannotOpen(String)
  case blasMissing(String)
  case blasCoreMismatch(requested: String, loaded: String)
  case dnnl(String, Int)

  public var description: String {
    switch self {
    case .cannotOpen(let p): return "cannot open \(p)"
    case .blasMissing(let why):
      return "OpenBLAS could not be loaded (\(why)); run `make deps` to install libopenblas-dev"
    case .blasCoreMismatch(let requested, let loaded):
      return
        "OpenBLAS loaded core '\(loaded)' but '\(requested)' was requested: the library was loaded before DropBench chose its kernel"
    case .dnnl(let what, let status): return "oneDNN \(what) failed with status \(status)"
    }
  }
}

/// What the loaded kernels report about themselves, for provenance and `bench`.
public struct KernelInfo: Codable, Sendable, Hashable {
  public var selection: KernelSelection
  public var blasCoreLoaded: String
  public var blasConfig: String
  public var dnnlVersion: String
  public var cpuModel: String

  public init(
    selection: KernelSelection, blasCoreLoaded: String, blasConfig: String, dnnlVersion: String, cpuModel: String
  ) {
    self.selection = selection
    self.blasCoreLoaded = blasCoreLoaded
    self.blasConfig = blasConfig
    self.dnnlVersion = dnnlVersion
    self.cpuModel = cpuModel
  }
}
