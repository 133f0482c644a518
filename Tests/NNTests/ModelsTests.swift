import Tensor
import Testing

@testable import NN

/// An identity layer inserted at a site, recording the per-sample shape of every batch that flows through it.
final class ShapeRecorder: Layer {
  let site: Site
  var seen: [[Int]] = []
  init(_ site: Site) { self.site = site }
  func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    seen.append(Array(x.shape.dropFirst()))
    return x
  }
  func backward(_ dy: Tensor) -> Tensor { dy }
}

/// Collects the sites a builder asks about and the recorders it was given.
final class SiteLog: @unchecked Sendable {
  var sites: [Site] = []
  var recorders: [ShapeRecorder] = []

  var insert: RegularizerInsertion {
    { site in
      self.sites.append(site)
      let recorder = ShapeRecorder(site)
      self.recorders.append(recorder)
      return recorder
    }
  }
}

@Suite struct ModelsTests {
  let key = RandomKey(seed: 101)

  struct Case: Sendable, CustomTestStringConvertible {
    var name: String
    var input: [Int]
    var widths: [Int]?
    var blocks: Int?
    var output: [Int]
    var sites: [String]
    var shapes: [[Int]]
    var testDescription: String { "\(name) \(input)" }
  }

  static let cases: [Case] = [
    Case(
      name: "mlp", input: [8, 8, 1], widths: [16, 12], output: [3, 10], sites: ["input", "hidden1", "hidden2"],
      shapes: [[64], [16], [12]]),
    Case(
      name: "cnn", input: [8, 8, 1], output: [3, 10], sites: ["input", "conv1", "conv2", "fc1"],
      shapes: [[8, 8, 1], [4, 4, 32], [2, 2, 64], [128]]),
    Case(
      name: "cnn", input: [12, 8, 3], output: [3, 10], sites: ["input", "conv1", "conv2", "fc1"],
      shapes: [[12, 8, 3], [6, 4, 32], [3, 2, 64], [128]]),
    Case(
      name: "resnet", input: [8, 8, 1], widths: [4, 6, 8], blocks: 1, output: [3, 10],
      sites: ["input", "stage1", "stage2", "stage3"], shapes: [[8, 8, 1], [8, 8, 4], [4, 4, 6], [2, 2, 8]]),
    Case(
      name: "resnet", input: [7, 5, 2], widths: [4, 6, 8], blocks: 1, output: [3, 10],
      sites: ["input", "stage1", "stage2", "stage3"], shapes: [[7, 5, 2], [7, 5, 4], [4, 3, 6], [2, 2, 8]]),
    Case(
      name: "unet-tiny", input: [8, 8, 1], widths: [2, 3, 4], output: [3, 8, 8, 1],
      sites: [
        "input", "enc1", "enc2", "bottleneck", "dec2", "dec1", "enc1_mid", "enc2_mid", "bottleneck_mid", "dec2_mid",
        "dec1_mid",
      ],
      shapes: [
        [8, 8, 1], [8, 8, 2], [4, 4, 3], [2, 2, 4], [4, 4, 3], [8, 8, 2], [8, 8, 2], [4, 4, 3], [2, 2, 4], [4, 4, 3],
        [8, 8, 2],
      ]),
  ]

  func request(_ c: Case, insert: @escaping RegularizerInsertion = { _ in nil }) -> ModelRequest {
    ModelRequest(
      name: c.name, inputShape: c.input, classes: 10, widths: c.widths, blocks: c.blocks, key: key.fold(1),
      insert: insert)
  }

  @Test(arguments: cases) func outputShape(_ c: Case) throws {
    let model = try ModelZoo.build(request(c))
    let x = Tensor.normal([3] + c.input, key: key.fold(2))
    #expect(model.network.forward(x, .evaluation).shape == c.output)
    let y = model.network.forward(x, StepContext(mode: .train, key: key))
    #expect(y.shape == c.output && y.allFinite)
    // With nothing inserted at the input site the first layer's input is data: the stems skip its gradient.
    let dx = model.network.backward(Tensor(shape: y.shape, repeating: 1))
    #expect(c.name == "unet-tiny" ? dx.shape == x.shape : dx.count == 0)
    #expect(model.siteNames == c.sites)
  }

  @Test(arguments: cases) func sitesListNamesAndShapes(_ c: Case) {
    let sites = ModelZoo.sites(c.name, inputShape: c.input, widths: c.widths, blocks: c.blocks)
    #expect(sites.map(\.0) == c.sites)
    #expect(sites.map(\.1) == c.shapes)
  }

  // The insertion closure is asked once per site, in order, with the site's index and shape, and the layer it
  // returns sees exactly that per-sample shape in training and in evaluation.
  @Test(arguments: cases) func insertionAtEachSite(_ c: Case) throws {
    let log = SiteLog()
    let model = try ModelZoo.build(request(c, insert: log.insert))
    #expect(log.sites.map(\.name) == c.sites)
    #expect(log.sites.map(\.index) == Array(0..<c.sites.count))
    #expect(log.sites.map(\.shape) == c.shapes)
    let x = Tensor.normal([3] + c.input, key: key.fold(3))
    let y = model.network.forward(x, StepContext(mode: .train, key: key))
    // A layer at the input site needs the input gradient, so the stem computes it.
    #expect(model.network.backward(Tensor(shape: y.shape, repeating: 1)).shape == x.shape)
    _ = model.network.forward(x, .evaluation)
    for recorder in log.recorders {
      #expect(recorder.seen == [recorder.site.shape, recorder.site.shape], "\(recorder.site)")
    }
  }

  @Test func insertionCanSkipSites() throws {
    let log = SiteLog()
    let onlyHidden: RegularizerInsertion = { site in site.name == "hidden1" ? try log.insert(site) : nil }
    let model = try ModelZoo.build(
      ModelRequest(name: "mlp", inputShape: [4, 4, 1], classes: 3, widths: [5], key: key, insert: onlyHidden))
    #expect(log.sites.map(\.name) == ["hidden1"])
    _ = model.network.forward(Tensor(shape: [2, 4, 4, 1]), .evaluation)
    #expect(log.recorders[0].seen == [[5]])
  }

  @Test func defaultWidths() throws {
    #expect(
      ModelZoo.sites("mlp", inputShape: [28, 28, 1], widths: nil, blocks: nil).map(\.1) == [[784], [1024], [1024]])
    let unet = ModelZoo.sites("unet-tiny", inputShape: [16, 16, 1], widths: nil, blocks: nil)
    #expect(unet.map(\.1)[3] == [4, 4, 32])
  }

  @Test func resnetBlocksPerStage() throws {
    let one = try ModelZoo.build(
      ModelRequest(name: "resnet", inputShape: [8, 8, 1], classes: 2, widths: [2, 2, 2], blocks: 1, key: key))
    let two = try ModelZoo.build(
      ModelRequest(name: "resnet", inputShape: [8, 8, 1], classes: 2, widths: [2, 2, 2], blocks: 2, key: key))
    #expect(two.network.parameters.count > one.network.parameters.count)
    #expect(two.network.forward(Tensor(shape: [1, 8, 8, 1]), .evaluation).shape == [1, 2])
  }

  @Test func sameKeySameWeights() throws {
    let c = Self.cases[1]
    let a = try ModelZoo.build(request(c)).network.parameters.map(\.value)
    let b = try ModelZoo.build(request(c)).network.parameters.map(\.value)
    #expect(a == b)
  }

  @Test func unknownModelIsAnError() {
    #expect(throws: ModelError.self) {
      try ModelZoo.build(ModelRequest(name: "transformer", inputShape: [8, 8, 1], classes: 2, key: key))
    }
    let message = ModelError.unknownModel("transformer").description
    #expect(message.contains("transformer") && message.contains("mlp, cnn, resnet, unet-tiny"))
  }
}

@Suite struct LogitLayerInitTests {
  /// The logit layer has no ReLU after it: LeCun's gain 1, not He's 2, so initial logits are not √2 too large.
  @Test func logitLayersUseGainOne() throws {
    let linear = Linear(inFeatures: 4096, outFeatures: 64, key: RandomKey(seed: 1), gain: 1)
    let he = Linear(inFeatures: 4096, outFeatures: 64, key: RandomKey(seed: 1))
    func sd(_ l: Linear) -> Double {
      let w: [Float] = l.weight.value.withUnsafeBufferPointer { Array($0) }
      let values = w.map { Double($0) }
      let m = values.reduce(0, +) / Double(values.count)
      let ss = values.reduce(0.0) { $0 + ($1 - m) * ($1 - m) }
      return (ss / Double(values.count)).squareRoot()
    }
    let lecun = (1.0 / 4096).squareRoot()
    #expect(abs(sd(linear) - lecun) < 0.02 * lecun)
    #expect(abs(sd(he) / sd(linear) - 2.0.squareRoot()) < 1e-4)
    let request = ModelRequest(name: "mlp", inputShape: [4, 4, 1], classes: 10, widths: [256], key: RandomKey(seed: 2))
    let mlp = try ModelZoo.build(request)
    let head = try #require((mlp.network as? Sequential)?.layers.last as? Linear)
    let headSD = (1.0 / 256).squareRoot()
    #expect(abs(sd(head) - headSD) < 0.1 * headSD)
  }
}
