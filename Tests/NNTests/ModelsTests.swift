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

  /// Plugs a recorder in at every activation site whose name `include` accepts.
  func plug(_ include: @escaping (String) -> Bool = { _ in true }) -> (Site) throws -> Plug? {
    { site in
      guard site.kind == .activation, include(site.name) else { return nil }
      self.sites.append(site)
      let recorder = ShapeRecorder(site)
      self.recorders.append(recorder)
      return .layer(recorder)
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

  func request(_ c: Case, plug: @escaping (Site) throws -> Plug? = { _ in nil }) -> ModelRequest {
    ModelRequest(
      name: c.name, inputShape: c.input, classes: 10, widths: c.widths, blocks: c.blocks, key: key.fold(1),
      plug: plug)
  }

  /// The case's sites among a model's activation sites: the sites every model had before sites were recorded
  /// (the residual blocks' own sites came later).
  func legacy(_ sites: [Site], _ c: Case) -> [Site] {
    sites.filter { $0.kind == .activation && c.sites.contains($0.name) }
  }

  @Test(arguments: cases) func outputShape(_ c: Case) throws {
    let model = try ModelRegistry.build(request(c))
    let x = Tensor.normal([3] + c.input, key: key.fold(2))
    #expect(model.network.forward(x, .evaluation).shape == c.output)
    let y = model.network.forward(x, StepContext(mode: .train, key: key))
    #expect(y.shape == c.output && y.allFinite)
    // With nothing inserted at the input site the first layer's input is data: the stems skip its gradient.
    let dx = model.network.backward(Tensor(shape: y.shape, repeating: 1))
    #expect(c.name == "unet-tiny" ? dx.shape == x.shape : dx.count == 0)
    #expect(legacy(model.sites, c).map(\.name) == c.sites)
  }

  @Test(arguments: cases) func sitesListNamesAndShapes(_ c: Case) {
    let sites = legacy(ModelRegistry.sites(c.name, inputShape: c.input, widths: c.widths, blocks: c.blocks), c)
    #expect(sites.map(\.name) == c.sites)
    #expect(sites.map(\.shape) == c.shapes)
  }

  /// The sites that existed when sites were numbered by position keep that number as their stream (so committed
  /// results stay bit-identical); every other site streams by its kind and name, so adding one never moves another.
  @Test(arguments: cases) func streamsAreFixedPerSite(_ c: Case) {
    let sites = ModelRegistry.sites(c.name, inputShape: c.input, widths: c.widths, blocks: c.blocks)
    #expect(legacy(sites, c).map(\.stream) == (0..<UInt64(c.sites.count)).map { $0 })
    for site in sites where !(site.kind == .activation && c.sites.contains(site.name)) {
      #expect(site.stream == Site.namedStream(site.kind, site.name), "\(site.name)")
    }
    #expect(Set(sites.map(\.stream)).count == sites.count)
    // Pinned: a named stream is FNV-1a 64 of "kind:name" with the top bit set (computed independently).
    #expect(Site.namedStream(.activation, "block1_mid") == 0xc20a_ba87_8348_a188)
  }

  /// Every kind of site each model records, in build order.
  @Test func sitesOfEveryKind() {
    func names(_ model: String, _ kind: SiteKind, blocks: Int? = nil) -> [String] {
      ModelRegistry.sites(model, inputShape: [8, 8, 1], widths: model == "mlp" ? [6, 5] : nil, blocks: blocks)
        .filter { $0.kind == kind }.map(\.name)
    }
    #expect(names("mlp", .weights) == ["hidden1", "hidden2", "output"])
    #expect(names("cnn", .weights) == ["fc1", "output"])
    #expect(names("resnet", .branch, blocks: 2) == (1...6).map { "block\($0)" })
    #expect(names("resnet", .weights) == ["output"])
    #expect(
      names("resnet", .activation)
        == ["input"] + (1...3).flatMap { s in
          ["block\(s)_mid", "block\(s)_branch", "block\(s)_skip", "stage\(s)"]
        })
    let branches = ModelRegistry.sites("resnet", inputShape: [8, 8, 1], widths: nil, blocks: 2).filter {
      $0.kind == .branch
    }
    #expect(branches.map(\.depth) == Array(1...6) && branches.allSatisfy { $0.depthCount == 6 })
    let weights = ModelRegistry.sites("mlp", inputShape: [8, 8, 1], widths: [6, 5], blocks: nil).filter {
      $0.kind == .weights
    }
    #expect(weights.map(\.shape) == [[6, 64], [5, 6], [2, 5]])
    #expect(weights.map(\.followedByReLU) == [true, true, false])
  }

  // The plug closure is asked once per site, in order, with the site's shape, and the layer it returns sees
  // exactly that per-sample shape in training and in evaluation.
  @Test(arguments: cases) func insertionAtEachSite(_ c: Case) throws {
    let log = SiteLog()
    let model = try ModelRegistry.build(request(c, plug: log.plug { c.sites.contains($0) }))
    #expect(log.sites.map(\.name) == c.sites)
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
    let model = try ModelRegistry.build(
      ModelRequest(
        name: "mlp", inputShape: [4, 4, 1], classes: 3, widths: [5], key: key, plug: log.plug { $0 == "hidden1" }))
    #expect(log.sites.map(\.name) == ["hidden1"])
    _ = model.network.forward(Tensor(shape: [2, 4, 4, 1]), .evaluation)
    #expect(log.recorders[0].seen == [[5]])
  }

  @Test func defaultWidths() throws {
    let mlp = ModelRegistry.sites("mlp", inputShape: [28, 28, 1], widths: nil, blocks: nil)
    #expect(mlp.filter { $0.kind == .activation }.map(\.shape) == [[784], [1024], [1024]])
    let unet = ModelRegistry.sites("unet-tiny", inputShape: [16, 16, 1], widths: nil, blocks: nil)
    #expect(unet.map(\.shape)[3] == [4, 4, 32])
  }

  @Test func resnetBlocksPerStage() throws {
    let one = try ModelRegistry.build(
      ModelRequest(name: "resnet", inputShape: [8, 8, 1], classes: 2, widths: [2, 2, 2], blocks: 1, key: key))
    let two = try ModelRegistry.build(
      ModelRequest(name: "resnet", inputShape: [8, 8, 1], classes: 2, widths: [2, 2, 2], blocks: 2, key: key))
    #expect(two.network.parameters.count > one.network.parameters.count)
    #expect(two.network.forward(Tensor(shape: [1, 8, 8, 1]), .evaluation).shape == [1, 2])
  }

  @Test func sameKeySameWeights() throws {
    let c = Self.cases[1]
    let a = try ModelRegistry.build(request(c)).network.parameters.map(\.value)
    let b = try ModelRegistry.build(request(c)).network.parameters.map(\.value)
    #expect(a == b)
  }

  @Test func unknownModelIsAnError() {
    #expect(throws: ModelError.self) {
      try ModelRegistry.build(ModelRequest(name: "transformer", inputShape: [8, 8, 1], classes: 2, key: key))
    }
    let message = ModelError.unknownModel("transformer").description
    #expect(throws: SiteError.self) {
      try ModelRegistry.build(
        ModelRequest(
          name: "mlp", inputShape: [4, 4, 1], classes: 2, widths: [3], key: key,
          plug: { $0.kind == .weights ? .layer(Identity()) : nil }))
    }
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
    let mlp = try ModelRegistry.build(request)
    let head = try #require((mlp.network as? Sequential)?.layers.last as? Linear)
    let headSD = (1.0 / 256).squareRoot()
    #expect(abs(sd(head) - headSD) < 0.1 * headSD)
  }
}
