#if canImport(Glibc)
  import Glibc
#endif
import CDNNL

/// The thin layer over oneDNN 2.6's C API (the v2 API: `*_desc_init` + `dnnl_primitive_desc_create`, removed in 3.x).
/// Everything that names a `dnnl_*` symbol lives here or in `DNNLConvolution.swift`, so a move to the 3.x API stays
/// local. Errors from oneDNN are programming errors (shapes are validated before a call) and stop the process.
enum DNNL {
  /// One CPU engine and one stream for the process. Created on first use, after `BLAS.info()` has set
  /// `OMP_NUM_THREADS=1` and pinned `dnnl_set_max_cpu_isa` (both must precede oneDNN's first kernel dispatch).
  final class Runtime: @unchecked Sendable {
    let engine: dnnl_engine_t
    let stream: dnnl_stream_t
    /// OpenMP threads per primitive: `OMP_NUM_THREADS` as `BLAS.load` set it (1).
    let threads: Int32

    fileprivate init() {
      _ = try? BLAS.info()
      threads = getenv("OMP_NUM_THREADS").flatMap { Int32(String(cString: $0)) }.map { max(1, $0) } ?? 1
      var engine: dnnl_engine_t?
      DNNL.check(dnnl_engine_create(&engine, dnnl_cpu, 0), "dnnl_engine_create")
      var stream: dnnl_stream_t?
      DNNL.check(dnnl_stream_create(&stream, engine, UInt32(dnnl_stream_default_flags.rawValue)), "dnnl_stream_create")
      self.engine = engine!
      self.stream = stream!
    }
  }

  /// Process-wide runtime. oneDNN's CPU stream only forwards `execute` synchronously, so sharing it between
  /// backends (even on different threads) is safe.
  static let runtime = Runtime()

  static func check(_ status: dnnl_status_t, _ call: StaticString) {
    if status != dnnl_success { fatalError("oneDNN \(call) failed with status \(status.rawValue)") }
  }

  /// A plain f32 memory descriptor with `dims` in oneDNN's logical order (N,C,H,W / O,I,KH,KW / O).
  static func descriptor(_ dims: [Int], _ tag: dnnl_format_tag_t) -> dnnl_memory_desc_t {
    var md = dnnl_memory_desc_t()
    let d = dims.map { Int64($0) }
    check(dnnl_memory_desc_init_by_tag(&md, Int32(d.count), d, dnnl_f32, tag), "dnnl_memory_desc_init_by_tag")
    return md
  }

  static func equal(_ a: dnnl_memory_desc_t, _ b: dnnl_memory_desc_t) -> Bool {
    withUnsafePointer(to: a) { pa in withUnsafePointer(to: b) { pb in dnnl_memory_desc_equal(pa, pb) != 0 } }
  }

  /// The memory descriptor a primitive descriptor expects for execution argument `arg`.
  static func query(_ pd: dnnl_primitive_desc_t, arg: Int32) -> dnnl_memory_desc_t {
    guard let md = dnnl_primitive_desc_query_md(pd, dnnl_query_exec_arg_md, arg) else {
      fatalError("oneDNN dnnl_primitive_desc_query_md: no memory descriptor for argument \(arg)")
    }
    return md.pointee
  }

  /// The implementation oneDNN picked, e.g. `jit:avx512_core` or `gemm:jit`.
  static func implementation(_ pd: dnnl_primitive_desc_t) -> String {
    var name: UnsafePointer<CChar>?
    check(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &name), "dnnl_primitive_desc_query")
    return name.map { String(cString: $0) } ?? "unknown"
  }

  static func size(_ md: dnnl_memory_desc_t) -> Int { withUnsafePointer(to: md) { Int(dnnl_memory_desc_get_size($0)) } }

  /// Benchmarks only: when set, the time spent in layout reorders is added to `reorderNanoseconds`.
  nonisolated(unsafe) static var profileReorders = false
  /// Benchmarks only: leave OpenMP's thread count alone (to show the unpinned behaviour).
  nonisolated(unsafe) static var skipThreadPin = false
  nonisolated(unsafe) static var reorderNanoseconds: Int64 = 0

  static func timedReorder(_ body: () -> Void) {
    guard profileReorders else { return body() }
    let start = ContinuousClock.now
    body()
    let d = (ContinuousClock.now - start).components
    reorderNanoseconds += d.seconds * 1_000_000_000 + d.attoseconds / 1_000_000_000
  }

  typealias OMPSetNumThreads = @convention(c) (Int32) -> Void
  typealias OMPGetMaxThreads = @convention(c) () -> Int32

  /// libgomp reads `OMP_NUM_THREADS` in its load-time constructor, and it is loaded with libdnnl at process start —
  /// before `BLAS.load` sets the variable — so the environment alone leaves oneDNN on all cores. The thread count is
  /// an OpenMP per-thread setting, so it is set on the calling thread before every execution (a thread-local store).
  /// Looked up with `dlsym` because libgomp is only an indirect dependency (through libdnnl).
  static let ompSetNumThreads: OMPSetNumThreads? = dlsym(nil, "omp_set_num_threads").map {
    unsafeBitCast($0, to: OMPSetNumThreads.self)
  }
  static let ompGetMaxThreads: OMPGetMaxThreads? = dlsym(nil, "omp_get_max_threads").map {
    unsafeBitCast($0, to: OMPGetMaxThreads.self)
  }

  /// The OpenMP thread count oneDNN would use on this thread now (diagnostics and tests).
  static var ompMaxThreads: Int { ompGetMaxThreads.map { Int($0()) } ?? 1 }

  /// Sets this thread's OpenMP team size before anything that may open a parallel region: executions, and also
  /// primitive creation (JIT generation and weight initialisation run `parallel_nd` too — once a region runs with
  /// the default team, its idle worker spins on the other core for the rest of the process).
  static func pinThreads() {
    if !skipThreadPin, let ompSetNumThreads { ompSetNumThreads(runtime.threads) }
  }

  /// Runs `primitive` with `args` on the process stream and waits for it.
  static func execute(_ primitive: dnnl_primitive_t, _ args: [(Int32, dnnl_memory_t)]) {
    pinThreads()
    let execArgs = args.map { dnnl_exec_arg_t(arg: $0.0, memory: $0.1) }
    check(dnnl_primitive_execute(primitive, runtime.stream, Int32(execArgs.count), execArgs), "dnnl_primitive_execute")
    check(dnnl_stream_wait(runtime.stream), "dnnl_stream_wait")
  }

  /// An owned primitive descriptor + primitive pair.
  final class Primitive {
    let pd: dnnl_primitive_desc_t
    let primitive: dnnl_primitive_t

    /// Creates the primitive descriptor for `opDesc` (a `dnnl_*_desc_t`), optionally hinted by a forward one.
    convenience init<Desc>(_ opDesc: Desc, attr: dnnl_primitive_attr_t? = nil, hint: Primitive? = nil) {
      pinThreads()
      var desc = opDesc
      var pd: dnnl_primitive_desc_t?
      let status = withUnsafePointer(to: &desc) { p in
        dnnl_primitive_desc_create(&pd, UnsafeRawPointer(p), attr, runtime.engine, hint?.pd)
      }
      check(status, "dnnl_primitive_desc_create")
      self.init(pd: pd!)
    }

    init(pd: dnnl_primitive_desc_t) {
      pinThreads()
      var primitive: dnnl_primitive_t?
      check(dnnl_primitive_create(&primitive, pd), "dnnl_primitive_create")
      self.pd = pd
      self.primitive = primitive!
    }

    var implementation: String { DNNL.implementation(pd) }

    deinit {
      dnnl_primitive_destroy(primitive)
      dnnl_primitive_desc_destroy(pd)
    }
  }

  /// A reorder between two layouts of the same tensor; `accumulate` adds into the destination (sum post-op, β = 1).
  static func reorder(from src: dnnl_memory_desc_t, to dst: dnnl_memory_desc_t, accumulate: Bool) -> Primitive {
    pinThreads()
    var attr: dnnl_primitive_attr_t?
    var postOps: dnnl_post_ops_t?
    if accumulate {
      check(dnnl_primitive_attr_create(&attr), "dnnl_primitive_attr_create")
      check(dnnl_post_ops_create(&postOps), "dnnl_post_ops_create")
      check(dnnl_post_ops_append_sum(postOps, 1), "dnnl_post_ops_append_sum")
      check(dnnl_primitive_attr_set_post_ops(attr, postOps), "dnnl_primitive_attr_set_post_ops")
    }
    defer {
      if let postOps { dnnl_post_ops_destroy(postOps) }
      if let attr { dnnl_primitive_attr_destroy(attr) }
    }
    var pd: dnnl_primitive_desc_t?
    var s = src
    var d = dst
    check(
      dnnl_reorder_primitive_desc_create(&pd, &s, runtime.engine, &d, runtime.engine, attr),
      "dnnl_reorder_primitive_desc_create")
    return Primitive(pd: pd!)
  }

  /// One argument of a primitive as the caller sees it (`user`, a view of a Swift buffer) and as the primitive
  /// wants it (`chosen`). When the layouts differ the operand owns a oneDNN-allocated buffer in the chosen layout
  /// and a reorder between the two; otherwise the primitive reads and writes the caller's buffer directly.
  /// `.accumulate` always goes through its own buffer and adds into the caller's (oneDNN's primitives overwrite).
  final class Operand {
    enum Role { case input, output, accumulate }

    let role: Role
    let userMemory: dnnl_memory_t
    let innerMemory: dnnl_memory_t?
    let reorder: Primitive?
    let chosen: dnnl_memory_desc_t
    /// Bytes of the internal buffer (0 when the primitive uses the caller's buffer).
    let innerBytes: Int

    init(user: dnnl_memory_desc_t, chosen: dnnl_memory_desc_t, role: Role) {
      self.role = role
      self.chosen = chosen
      var memory: dnnl_memory_t?
      var u = user
      check(dnnl_memory_create(&memory, &u, runtime.engine, nil), "dnnl_memory_create")
      userMemory = memory!
      if role == .accumulate || !DNNL.equal(user, chosen) {
        var inner: dnnl_memory_t?
        var c = chosen
        check(dnnl_memory_create(&inner, &c, runtime.engine, cdnnl_memory_allocate()), "dnnl_memory_create")
        innerMemory = inner!
        innerBytes = DNNL.size(chosen)
        reorder =
          role == .input
          ? DNNL.reorder(from: user, to: chosen, accumulate: false)
          : DNNL.reorder(from: chosen, to: user, accumulate: role == .accumulate)
      } else {
        innerMemory = nil
        innerBytes = 0
        reorder = nil
      }
    }

    /// The memory the primitive itself reads or writes.
    var memory: dnnl_memory_t { innerMemory ?? userMemory }

    /// Points the user-layout view at a Swift buffer for the next execution.
    func bind(_ pointer: UnsafeRawPointer) {
      check(
        dnnl_memory_set_data_handle(userMemory, UnsafeMutableRawPointer(mutating: pointer)),
        "dnnl_memory_set_data_handle")
    }

    /// Inputs: copy the caller's buffer into the chosen layout (if they differ).
    func prepare() {
      if role == .input, let reorder, let innerMemory {
        DNNL.timedReorder {
          DNNL.execute(reorder.primitive, [(DNNL_ARG_FROM, userMemory), (DNNL_ARG_TO, innerMemory)])
        }
      }
    }

    /// An input bound to the caller's buffer and copied into the chosen layout: the memory the primitive reads.
    func input(_ pointer: UnsafeRawPointer) -> dnnl_memory_t {
      bind(pointer)
      prepare()
      return memory
    }

    /// An input that another operand may already hold in this operand's chosen layout (its internal copy of the
    /// same buffer): that copy, or else `input(pointer)`.
    func input(_ pointer: UnsafeRawPointer, reusing other: Operand?) -> dnnl_memory_t {
      if let other, let inner = other.innerMemory, DNNL.equal(other.chosen, chosen) { return inner }
      return input(pointer)
    }

    /// An output (or accumulated gradient) bound to the caller's buffer: the memory the primitive writes; `finish`
    /// copies it back.
    func output(_ pointer: UnsafeRawPointer) -> dnnl_memory_t {
      bind(pointer)
      return memory
    }

    /// Outputs: copy (or add) the primitive's result into the caller's buffer.
    func finish() {
      if role != .input, let reorder, let innerMemory {
        DNNL.timedReorder {
          DNNL.execute(reorder.primitive, [(DNNL_ARG_FROM, innerMemory), (DNNL_ARG_TO, userMemory)])
        }
      }
    }

    deinit {
      if let innerMemory { dnnl_memory_destroy(innerMemory) }
      dnnl_memory_destroy(userMemory)
    }
  }
}
