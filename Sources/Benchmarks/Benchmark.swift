import Datasets
import Foundation
import NN
import Regularizers
import Tensor

/// `dropbench bench`: engine throughput on the reference workloads against the machine's sgemm peak, measured in
/// the same run on one thread. Workloads match ../shared/bench/pytorch_cpu_bench.py (the PyTorch CPU peer).
public enum Benchmark {
  public struct GemmResult: Codable, Sendable {
    public var n: Int
    public var gflops: Double

    public init(n: Int, gflops: Double) {
      self.n = n
      self.gflops = gflops
    }
  }

  public struct WorkloadResult: Codable, Sendable {
    public var workload: String
    public var description: String
    public var forwardMFLOPPerImage: Double
    public var trainImagesPerSecond: Double
    public var evalImagesPerSecond: Double
    public var trainGFLOPS: Double
    public var percentOfPeak: Double
    public var testAccuracyAfterOneEpoch: Double
    public var peakResidentMiB: Double

    public init(
      workload: String, description: String, forwardMFLOPPerImage: Double, trainImagesPerSecond: Double,
      evalImagesPerSecond: Double, trainGFLOPS: Double, percentOfPeak: Double, testAccuracyAfterOneEpoch: Double,
      peakResidentMiB: Double
    ) {
      self.workload = workload
      self.description = description
      self.forwardMFLOPPerImage = forwardMFLOPPerImage
      self.trainImagesPerSecond = trainImagesPerSecond
      self.evalImagesPerSecond = evalImagesPerSecond
      self.trainGFLOPS = trainGFLOPS
      self.percentOfPeak = percentOfPeak
      self.testAccuracyAfterOneEpoch = testAccuracyAfterOneEpoch
      self.peakResidentMiB = peakResidentMiB
    }
  }

  public struct Summary: Codable, Sendable {
    public var kernels: KernelInfo
    public var gemm: [GemmResult]
    public var workloads: [WorkloadResult]

    public init(kernels: KernelInfo, gemm: [GemmResult], workloads: [WorkloadResult]) {
      self.kernels = kernels
      self.gemm = gemm
      self.workloads = workloads
    }
  }

  /// W4 and W5 are W1's and W3's nets with a weight and a branch regularizer: DropConnect's masked weights should cost
  /// little over W1, Stochastic Depth should be faster than W3 by the share of block compute it skips.
  public static let workloads = ["W1", "W2", "W3", "W3d", "W4", "W5"]

  /// Training batch of every workload (the peer's).
  public static let batch = 128

  /// Best of `repetitions` timings of an n×n×n sgemm, in GFLOP/s.
  public static func gemm(n: Int, repetitions: Int = 5) -> GemmResult {
    let a = RandomKey(seed: 1).uniforms(n * n)
    let b = RandomKey(seed: 2).uniforms(n * n)
    var c = [Float](repeating: 0, count: n * n)
    var best = Double.infinity
    for _ in 0...repetitions {
      let t0 = DispatchTime.now().uptimeNanoseconds
      a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
          c.withUnsafeMutableBufferPointer { pc in
            BLAS.sgemm(
              transA: false, transB: false, m: n, n: n, k: n, a: pa.baseAddress!, lda: n, b: pb.baseAddress!, ldb: n,
              c: pc.baseAddress!, ldc: n)
          }
        }
      }
      best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }
    return GemmResult(n: n, gflops: 2 * Double(n * n * n) / best / 1e9)
  }

  static func model(_ workload: String, key: RandomKey) throws -> (Layer, String) {
    func regularizer(_ name: String, _ params: [String: ConfigValue]) throws -> (Site) -> Plug {
      let d = RegularizerRegistry.descriptor(name)!
      switch d.resolve(params) {
      case .success(let values): return { site in d.make(values, site) }
      case .failure(let message): throw BenchmarkError("regularizer parameter '\(name)': \(message)")
      }
    }
    /// The workload's network on 28×28×1 inputs and 10 classes, `plug` choosing what goes at each site.
    func build(_ name: String, widths: [Int]? = nil, blocks: Int? = nil, plug: @escaping (Site) -> Plug? = { _ in nil })
      throws -> Layer
    {
      try ModelRegistry.build(
        ModelRequest(
          name: name, inputShape: [28, 28, 1], classes: 10, widths: widths, blocks: blocks, key: key, plug: plug)
      ).network
    }
    let dropout = try regularizer("dropout", ["rate": .double(0.5)])
    switch workload {
    case "W1":
      let net = try build("mlp", widths: [1024, 1024]) { site in
        site.kind == .activation && site.name.hasPrefix("hidden") ? dropout(site) : nil
      }
      return (net, "mlp 784-1024-1024-10 + dropout 0.5")
    case "W2":
      let net = try build("cnn") { site in site.kind == .activation && site.name == "fc1" ? dropout(site) : nil }
      return (net, "cnn + dropout 0.5")
    case "W3":
      return (try build("resnet", blocks: 1), "resnet8")
    case "W3d":
      let dropBlock = try regularizer("dropblock", ["rate": .double(0.1), "block_size": .int(3)])
      let net = try build("resnet", blocks: 1) { site in ["stage2", "stage3"].contains(site.name) ? dropBlock(site) : nil }
      return (net, "resnet8 + DropBlock (bs 3, rate 0.1) after stages 2 and 3")
    case "W4":
      let dropConnect = try regularizer("dropconnect", ["rate": .double(0.5)])
      let net = try build("mlp", widths: [1024, 1024]) { site in
        site.kind == .weights && site.name.hasPrefix("hidden") ? dropConnect(site) : nil
      }
      return (net, "mlp 784-1024-1024-10 + DropConnect 0.5 on both hidden layers' weights")
    case "W5":
      let depth = try regularizer("stochastic-depth", ["survival_last": .double(0.5)])
      let net = try build("resnet", blocks: 1) { site in site.kind == .branch ? depth(site) : nil }
      return (net, "resnet8 + stochastic depth (p_L 0.5, linear: a third of block compute skipped on average)")
    default:
      throw BenchmarkError("unknown workload \(workload) (choices: \(workloads.joined(separator: ", ")))")
    }
  }

  /// Forward multiply-adds per image ×2, counted by the layers' shapes.
  static func forwardFLOPs(_ workload: String) -> Double {
    switch workload {
    case "W1", "W4": return 2 * Double(784 * 1024 + 1024 * 1024 + 1024 * 10)
    case "W2": return 2 * Double(28 * 28 * 32 * 9 + 14 * 14 * 64 * 32 * 9 + 3136 * 128 + 128 * 10)
    default:
      let stem = 28 * 28 * 16 * 9
      let s1 = 2 * 28 * 28 * 16 * 16 * 9
      let s2 = 14 * 14 * 32 * 16 * 9 + 14 * 14 * 32 * 32 * 9 + 14 * 14 * 32 * 16
      let s3 = 7 * 7 * 64 * 32 * 9 + 7 * 7 * 64 * 64 * 9 + 7 * 7 * 64 * 32
      return 2 * Double(stem + s1 + s2 + s3 + 64 * 10)
    }
  }

  /// One epoch of Fashion-MNIST at batch 128 (SGD lr 0.05, momentum 0.9, as the PyTorch peer), timed after 20
  /// warm-up steps, then the test set at batch 1000.
  public static func workload(_ name: String, data: Dataset, maxSteps: Int? = nil) throws -> WorkloadResult {
    let key = RandomKey(seed: 0)
    let (network, description) = try model(name, key: key.fold(.initialization))
    let optimizer = SGD(momentum: 0.9)
    let parameters = network.parameters
    let n = data.train.count
    let batch = Self.batch
    let steps = min(maxSteps ?? Int.max, (n + batch - 1) / batch)
    let order = key.fold(.dataOrder).permutation(n)
    let warmup = min(20, steps / 4)
    var timedStart: UInt64 = 0
    var timedImages = 0
    for s in 0..<steps {
      if s == warmup { timedStart = DispatchTime.now().uptimeNanoseconds }
      let idx = order[(s * batch)..<min(n, (s + 1) * batch)]
      trainStep(network, parameters, optimizer, data: data, rows: idx, step: s, key: key)
      if s >= warmup && idx.count == batch { timedImages += batch }
    }
    let trainSeconds = Double(DispatchTime.now().uptimeNanoseconds - timedStart) / 1e9
    let test = TrainingData(images: data.test.images, targets: .labels(data.test.labels))
    let accuracy = Trainer.evaluate(network, test, batch: 1000)["test_accuracy"] ?? .nan
    let t0 = DispatchTime.now().uptimeNanoseconds
    _ = Trainer.evaluate(network, test, batch: 1000)
    let evalSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    let flops = forwardFLOPs(name)
    let trainRate = Double(timedImages) / trainSeconds
    return WorkloadResult(
      workload: name, description: description, forwardMFLOPPerImage: flops / 1e6, trainImagesPerSecond: trainRate,
      evalImagesPerSecond: Double(test.count) / evalSeconds, trainGFLOPS: trainRate * 3 * flops / 1e9, percentOfPeak: 0,
      testAccuracyAfterOneEpoch: accuracy, peakResidentMiB: peakResidentMiB())
  }

  /// One SGD step of a workload on the training rows `rows` (the peer's settings: lr 0.05, classification loss).
  static func trainStep(
    _ network: Layer, _ parameters: [Parameter], _ optimizer: SGD, data: Dataset, rows: ArraySlice<Int>, step: Int,
    key: RandomKey
  ) {
    let x = data.train.images.gather(rows: rows)
    for p in parameters { p.zeroGrad() }
    let out = network.forward(x, StepContext(mode: .train, key: key.fold(.mask).fold(step), step: step, progress: 0.5))
    let loss = Losses.softmaxCrossEntropy(logits: out, labels: ArraySlice(rows.map { data.train.labels[$0] }))
    _ = network.backward(loss.gradient)
    optimizer.step(parameters, lr: 0.05)
  }

  /// "family 25, model 17" from the first processor of a /proc/cpuinfo text, or nil.
  public static func cpuGeneration(_ cpuinfo: String) -> String? {
    var fields: [String: String] = [:]
    for line in cpuinfo.split(separator: "\n") {
      if line.trimmingCharacters(in: .whitespaces).isEmpty { break }
      let parts = line.split(separator: ":", maxSplits: 1)
      guard parts.count == 2 else { continue }
      let key = parts[0].trimmingCharacters(in: .whitespaces)
      if fields[key] == nil { fields[key] = parts[1].trimmingCharacters(in: .whitespaces) }
    }
    guard let family = fields["cpu family"], let model = fields["model"] else { return nil }
    return "family \(family), model \(model)"
  }

  /// Peak resident set size of this process (ru_maxrss, KiB on Linux).
  public static func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024
  }
}

/// A workload that cannot be built or profiled, in a sentence.
public struct BenchmarkError: Error, CustomStringConvertible {
  public let description: String
  init(_ description: String) { self.description = description }
}
