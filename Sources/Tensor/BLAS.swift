#if canImport(Glibc)
  import Glibc
#endif
import CDNNL

/// OpenBLAS, loaded with `dlopen` after DropBench has set `OPENBLAS_CORETYPE`: OpenBLAS reads the variable once, in
/// its load-time constructor, so a library linked at start-up would already have picked the environment's preset.
public enum BLAS {
  typealias SgemmFunction =
    @convention(c) (
      Int32, Int32, Int32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32, UnsafePointer<Float>?, Int32,
      Float, UnsafeMutablePointer<Float>?, Int32
    ) -> Void
  typealias StringFunction = @convention(c) () -> UnsafeMutablePointer<CChar>?

  struct Loaded: @unchecked Sendable {
    let sgemm: SgemmFunction
    let info: KernelInfo
  }

  nonisolated(unsafe) private static var requested: KernelSelection?
  private static let loaded: Result<Loaded, KernelError> = load(requested ?? .automatic())

  /// Chooses the kernels. Call before the first GEMM; later calls must agree with the first choice.
  public static func configure(_ selection: KernelSelection) throws -> KernelInfo {
    requested = selection
    let info = try loaded.get().info
    if info.selection != selection {
      throw KernelError.blasCoreMismatch(requested: selection.blasCoreType, loaded: info.selection.blasCoreType)
    }
    return info
  }

  /// The kernels in use (loading them with the automatic choice if nothing was configured).
  public static func info() throws -> KernelInfo { try loaded.get().info }

  private static func load(_ selection: KernelSelection) -> Result<Loaded, KernelError> {
    Allocator.keepTensorsInHeap()
    setenv("OPENBLAS_CORETYPE", selection.blasCoreType, 1)
    // One thread per run: parallelism comes from independent runs, and threaded BLAS changes summation order.
    setenv("OPENBLAS_NUM_THREADS", "1", 1)
    setenv("OMP_NUM_THREADS", "1", 1)
    guard let handle = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_LOCAL) else {
      return .failure(.blasMissing(String(cString: dlerror())))
    }
    guard let sgemm = dlsym(handle, "cblas_sgemm") else { return .failure(.blasMissing("no cblas_sgemm")) }
    func string(_ symbol: String) -> String {
      guard let f = dlsym(handle, symbol) else { return "unknown" }
      let fn = unsafeBitCast(f, to: StringFunction.self)
      return fn().map { String(cString: $0) } ?? "unknown"
    }
    let core = string("openblas_get_corename")
    if core.lowercased() != selection.blasCoreType.lowercased() {
      return .failure(.blasCoreMismatch(requested: selection.blasCoreType, loaded: core))
    }
    if let isa = KernelSelection.dnnlISAs[selection.dnnlISA] {
      _ = dnnl_set_max_cpu_isa(isa)
    }
    let version = dnnl_version().pointee
    let info = KernelInfo(
      selection: selection, blasCoreLoaded: core, blasConfig: string("openblas_get_config").trimmingCharacters(),
      dnnlVersion: "\(version.major).\(version.minor).\(version.patch)", cpuModel: CPUInfo.current.model)
    return .success(Loaded(sgemm: unsafeBitCast(sgemm, to: SgemmFunction.self), info: info))
  }

  /// C[m×n] = alpha · op(A)[m×k] · op(B)[k×n] + beta · C, row-major.
  public static func sgemm(
    transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int
  ) {
    gemmFunction()(
      101, transA ? 112 : 111, transB ? 112 : 111, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb),
      beta, c, Int32(ldc))
  }

  static func gemmFunction() -> SgemmFunction {
    switch loaded {
    case .success(let l): return l.sgemm
    case .failure(let error): fatalError("\(error)")
    }
  }
}

extension String {
  func trimmingCharacters() -> String {
    String(self.drop(while: { $0 == " " || $0 == "\n" }).reversed().drop(while: { $0 == " " || $0 == "\n" }).reversed())
  }
}
