#if canImport(Glibc)
  import Glibc
#endif
import Testing

@testable import Tensor

/// Timing of forward + backwardData + backwardWeights on the reference workloads' convolution shapes, for the im2col
/// backend and oneDNN (layouts chosen by oneDNN, and fixed NHWC). Disabled unless `DROPBENCH_CONV_BENCH=1`:
///
///     DROPBENCH_CONV_BENCH=1 swift test -c release -Xswiftc -enable-testing --filter ConvolutionBenchmark
///
/// Prints markdown tables: milliseconds per call (best of 5–40) and GFLOP/s (2 · MACs / time) per backend and layer.
enum ConvBench {
  static let enabled = getenv("DROPBENCH_CONV_BENCH").map { String(cString: $0) == "1" } ?? false

  static func layers(batch: Int) -> [(String, ConvGeometry)] {
    func conv(_ hw: Int, _ cin: Int, _ cout: Int, k: Int = 3, s: Int = 1, p: Int = 1) -> ConvGeometry {
      ConvGeometry(
        batch: batch, height: hw, width: hw, inChannels: cin, outChannels: cout, kernel: k, stride: s, padding: p)
    }
    return [
      ("cnn conv1 28² 1→32", conv(28, 1, 32)),
      ("cnn conv2 14² 32→64", conv(14, 32, 64)),
      ("resnet8 stem 28² 1→16", conv(28, 1, 16)),
      ("resnet8 28² 16→16", conv(28, 16, 16)),
      ("resnet8 28²→14² 16→32 s2", conv(28, 16, 32, s: 2)),
      ("resnet8 14² 32→32", conv(14, 32, 32)),
      ("resnet8 14²→7² 32→64 s2", conv(14, 32, 64, s: 2)),
      ("resnet8 7² 64→64", conv(7, 64, 64)),
      ("resnet8 proj 1×1 s2 16→32", conv(28, 16, 32, k: 1, s: 2, p: 0)),
      ("resnet8 proj 1×1 s2 32→64", conv(14, 32, 64, k: 1, s: 2, p: 0)),
    ]
  }

  /// Fastest wall time of `body` in milliseconds, after two warm-up calls; at least 5 and at most 40 timed calls,
  /// stopping after ~0.4 s. The minimum, not the median: this 2-core machine is shared with concurrent builds, and
  /// interference only ever adds time.
  static func time(_ body: () -> Void) -> Double {
    body()
    body()
    var samples: [Double] = []
    var total = 0.0
    while samples.count < 40 && (samples.count < 5 || total < 0.4) {
      let start = ContinuousClock.now
      body()
      let d = (ContinuousClock.now - start).components
      let s = Double(d.seconds) + Double(d.attoseconds) * 1e-18
      samples.append(s * 1e3)
      total += s
    }
    return samples.min()!
  }

  struct Timing {
    var forward = 0.0
    var backwardData = 0.0
    var backwardWeights = 0.0
    var total: Double { forward + backwardData + backwardWeights }
  }

  static func measure(_ conv: some ConvolutionBackend, _ g: ConvGeometry) -> Timing {
    let c = ConvFixtures.data(g)
    var t = Timing()
    var y = Tensor.zeros([1])
    var gw = Tensor.zeros(g.weightShape)
    var gb: Tensor? = Tensor.zeros([g.outChannels])
    t.forward = time { y = conv.forward(c.x, weight: c.w, bias: c.b, geometry: g) }
    t.backwardData = time { _ = conv.backwardData(c.dy, weight: c.w, geometry: g) }
    // backwardWeights follows the forward of the same input (the im2col backend reuses its columns then).
    t.backwardWeights = time { conv.backwardWeights(c.dy, input: c.x, geometry: g, gradWeight: &gw, gradBias: &gb) }
    #expect(y.allFinite && gw.allFinite)
    return t
  }

  static func ms(_ v: Double) -> String {
    let r = (v * 100).rounded() / 100
    return "\(r)"
  }

  static func gflops(_ g: ConvGeometry, _ ms: Double) -> String {
    let v = 2 * Double(g.forwardMACs) / (ms * 1e-3) / 1e9
    return "\((v * 10).rounded() / 10)"
  }
}

@Suite(.serialized, .enabled(if: ConvBench.enabled, "set DROPBENCH_CONV_BENCH=1"))
struct ConvolutionBenchmark {
  @Test func trainingBatch128() throws {
    let ompBefore = DNNL.ompMaxThreads
    let info = try BLAS.info()
    DNNL.skipThreadPin = getenv("DROPBENCH_CONV_BENCH_UNPINNED") != nil
    print(
      "OpenMP threads on this thread before pinning: \(ompBefore); pinned to \(DNNL.runtime.threads): \(!DNNL.skipThreadPin)"
    )
    print(
      "Kernels: BLAS \(info.blasCoreLoaded), oneDNN \(info.dnnlVersion) max ISA \(info.selection.dnnlISA), \(info.cpuModel)"
    )
    print("Batch 128. ms per call (best of 5–40); fwd / bwdData / bwdWeights / sum; GFLOP/s of the sum (3 × 2·MACs).")
    print("")
    print(
      "| layer | MMAC | im2col ms | dnnl any ms | dnnl nhwc ms | dnnl any fused-bwd sum | GFLOP/s im2col / any / nhwc | oneDNN impl (any) | reorders (any) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    var sums = (0.0, 0.0, 0.0, 0.0)
    for (name, g) in ConvBench.layers(batch: 128) {
      let i = ConvBench.measure(Im2colConvolution(), g)
      let anyConv = DNNLConvolution(activationLayout: .any)
      let a = ConvBench.measure(anyConv, g)
      let n = ConvBench.measure(DNNLConvolution(activationLayout: .nhwc), g)
      // Forward + the combined backward (dy reordered once).
      let c = ConvFixtures.data(g)
      var gw = Tensor.zeros(g.weightShape)
      var gb: Tensor? = Tensor.zeros([g.outChannels])
      let fusedBackward = ConvBench.time {
        _ = anyConv.backward(c.dy, input: c.x, weight: c.w, geometry: g, gradWeight: &gw, gradBias: &gb)
      }
      let fused = a.forward + fusedBackward
      sums.0 += i.total
      sums.1 += a.total
      sums.2 += n.total
      sums.3 += fused
      func cell(_ t: ConvBench.Timing) -> String {
        "\(ConvBench.ms(t.forward)) / \(ConvBench.ms(t.backwardData)) / \(ConvBench.ms(t.backwardWeights)) / **\(ConvBench.ms(t.total))**"
      }
      let impl = Set(anyConv.implementations(for: g)).sorted().joined(separator: ", ")
      let flops = [i, a, n].map { ConvBench.gflops(g, $0.total / 3) }.joined(separator: " / ")
      print(
        "| \(name) | \(g.forwardMACs / 1_000_000) | \(cell(i)) | \(cell(a)) | \(cell(n)) | \(ConvBench.ms(fused)) | \(flops) | \(impl) | \(anyConv.reorderSummary(for: g)) |"
      )
    }
    print(
      "| **sum** | | **\(ConvBench.ms(sums.0))** | **\(ConvBench.ms(sums.1))** | **\(ConvBench.ms(sums.2))** | **\(ConvBench.ms(sums.3))** | | | |"
    )
    print("")
    print("nhwc implementations:")
    for (name, g) in ConvBench.layers(batch: 128) {
      print("  \(name): \(DNNLConvolution(activationLayout: .nhwc).implementations(for: g).joined(separator: " / "))")
    }
  }

  /// How much of the `any` backend's time is layout reordering (NHWC ↔ blocked, weights, gradient accumulation).
  @Test func reorderShare() {
    print("")
    print("| layer (batch 128, dnnl any) | fwd+bwdD+bwdW ms | of which reorders ms |")
    print("|---|---|---|")
    for (name, g) in ConvBench.layers(batch: 128) {
      let conv = DNNLConvolution(activationLayout: .any)
      let c = ConvFixtures.data(g)
      var gw = Tensor.zeros(g.weightShape)
      var gb: Tensor? = Tensor.zeros([g.outChannels])
      func step() {
        _ = conv.forward(c.x, weight: c.w, bias: c.b, geometry: g)
        _ = conv.backwardData(c.dy, weight: c.w, geometry: g)
        conv.backwardWeights(c.dy, input: c.x, geometry: g, gradWeight: &gw, gradBias: &gb)
      }
      step()
      DNNL.profileReorders = true
      DNNL.reorderNanoseconds = 0
      let reps = 10
      let start = ContinuousClock.now
      for _ in 0..<reps { step() }
      let d = (ContinuousClock.now - start).components
      DNNL.profileReorders = false
      let total = (Double(d.seconds) + Double(d.attoseconds) * 1e-18) * 1e3 / Double(reps)
      let reorder = Double(DNNL.reorderNanoseconds) * 1e-6 / Double(reps)
      print("| \(name) | \(ConvBench.ms(total)) | \(ConvBench.ms(reorder)) |")
    }
  }

  /// Evaluation batch (1000): forward only.
  @Test func evaluationBatch1000Forward() {
    print("")
    print("| layer (batch 1000, forward) | im2col ms | dnnl any ms | dnnl nhwc ms |")
    print("|---|---|---|---|")
    for (name, g) in ConvBench.layers(batch: 1000) {
      let c = ConvFixtures.data(g)
      let row = [
        Im2colConvolution() as any ConvolutionBackend, DNNLConvolution(activationLayout: .any),
        DNNLConvolution(activationLayout: .nhwc),
      ].map { conv in ConvBench.ms(ConvBench.time { _ = conv.forward(c.x, weight: c.w, bias: c.b, geometry: g) }) }
      print("| \(name) | \(row.joined(separator: " | ")) |")
    }
  }
}
