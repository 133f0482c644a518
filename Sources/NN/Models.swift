import Tensor

/// What a model builder needs: input shape, number of outputs, builder parameters and where regularizers go.
public struct ModelRequest {
  public var name: String
  /// Per-sample input shape `[H, W, C]`.
  public var inputShape: [Int]
  public var classes: Int
  /// Builder parameters: `widths` (mlp hidden widths, unet level widths), `blocks` (resnet blocks per stage).
  public var widths: [Int]?
  public var blocks: Int?
  public var key: RandomKey
  public var insert: RegularizerInsertion

  public init(
    name: String, inputShape: [Int], classes: Int, widths: [Int]? = nil, blocks: Int? = nil, key: RandomKey,
    insert: @escaping RegularizerInsertion = { _ in nil }
  ) {
    self.name = name
    self.inputShape = inputShape
    self.classes = classes
    self.widths = widths
    self.blocks = blocks
    self.key = key
    self.insert = insert
  }
}

/// A built model: the network and the regularizer layers placed at its sites.
public struct Model {
  public var network: Layer
  public var siteNames: [String]
}

/// The model builders specs refer to by name.
public enum ModelZoo {
  public static let names = ["mlp", "cnn", "resnet", "unet-tiny"]
  public static let defaultWidths: [String: [Int]] = [
    "mlp": [1024, 1024], "resnet": [16, 32, 64], "unet-tiny": [8, 16, 32],
  ]

  /// Regularizer sites of a model and the per-sample shape there, for input `[H, W, C]`.
  public static func sites(_ name: String, inputShape s: [Int], widths: [Int]?, blocks: Int?) -> [(String, [Int])] {
    let (h, w, c) = (s[0], s[1], s[2])
    switch name {
    case "mlp":
      let hidden = widths ?? defaultWidths["mlp"]!
      return [("input", [h * w * c])] + hidden.enumerated().map { ("hidden\($0.offset + 1)", [$0.element]) }
    case "cnn":
      return [("input", s), ("conv1", [h / 2, w / 2, 32]), ("conv2", [h / 4, w / 4, 64]), ("fc1", [128])]
    case "resnet":
      let ws = widths ?? defaultWidths["resnet"]!
      let h2 = (h + 1) / 2
      let h3 = (h2 + 1) / 2
      let w2 = (w + 1) / 2
      let w3 = (w2 + 1) / 2
      return [("input", s), ("stage1", [h, w, ws[0]]), ("stage2", [h2, w2, ws[1]]), ("stage3", [h3, w3, ws[2]])]
    case "unet-tiny":
      let ws = widths ?? defaultWidths["unet-tiny"]!
      let stages = [
        ("enc1", [h, w, ws[0]]), ("enc2", [h / 2, w / 2, ws[1]]), ("bottleneck", [h / 4, w / 4, ws[2]]),
        ("dec2", [h / 2, w / 2, ws[1]]), ("dec1", [h, w, ws[0]]),
      ]
      // `<stage>_mid` sites (between a stage's two convolutions) come after the others so that adding them kept
      // every other site's index, and so its masks.
      return [("input", s)] + stages + stages.map { ("\($0.0)_mid", $0.1) }
    default:
      return []
    }
  }

  public static func build(_ r: ModelRequest) throws -> Model {
    let shapes = Dictionary(
      uniqueKeysWithValues: sites(r.name, inputShape: r.inputShape, widths: r.widths, blocks: r.blocks).enumerated().map
      {
        ($0.element.0, Site(name: $0.element.0, shape: $0.element.1, index: $0.offset))
      })
    let siteNames = sites(r.name, inputShape: r.inputShape, widths: r.widths, blocks: r.blocks).map(\.0)
    func at(_ name: String) throws -> [Layer] { try r.insert(shapes[name]!).map { [$0] } ?? [] }
    let (h, w, c) = (r.inputShape[0], r.inputShape[1], r.inputShape[2])
    let key = r.key
    switch r.name {
    case "mlp":
      let input = try at("input")
      var layers: [Layer] = [Flatten()] + input
      var fanIn = h * w * c
      for (i, width) in (r.widths ?? defaultWidths["mlp"]!).enumerated() {
        let linear = Linear(inFeatures: fanIn, outFeatures: width, key: key.fold(i))
        linear.computesInputGradient = i > 0 || !input.isEmpty
        layers += [linear, ReLU()]
        layers += try at("hidden\(i + 1)")
        fanIn = width
      }
      layers.append(Linear(inFeatures: fanIn, outFeatures: r.classes, key: key.fold(1000), gain: 1))
      return Model(network: Sequential(layers), siteNames: siteNames)
    case "cnn":
      var layers: [Layer] = try at("input")
      let stem = Conv2d(inChannels: c, outChannels: 32, kernel: 3, padding: 1, key: key.fold(0))
      stem.computesInputGradient = !layers.isEmpty
      // conv → ReLU → 2×2 max-pool, with the ReLU fused into the pool (exactly equal, one pass fewer).
      layers += [stem, MaxPool2d(relu: true)]
      layers += try at("conv1")
      layers += [
        Conv2d(inChannels: 32, outChannels: 64, kernel: 3, padding: 1, key: key.fold(1)), MaxPool2d(relu: true),
      ]
      layers += try at("conv2")
      layers += [Flatten(), Linear(inFeatures: (h / 4) * (w / 4) * 64, outFeatures: 128, key: key.fold(2)), ReLU()]
      layers += try at("fc1")
      layers.append(Linear(inFeatures: 128, outFeatures: r.classes, key: key.fold(3), gain: 1))
      return Model(network: Sequential(layers), siteNames: siteNames)
    case "resnet":
      let ws = r.widths ?? defaultWidths["resnet"]!
      let blocks = r.blocks ?? 1
      var layers: [Layer] = try at("input")
      let stem = Conv2d(inChannels: c, outChannels: ws[0], kernel: 3, padding: 1, bias: false, key: key.fold(0))
      stem.computesInputGradient = !layers.isEmpty
      layers += [stem, BatchNorm(channels: ws[0], relu: true)]
      var channels = ws[0]
      for (stage, width) in ws.enumerated() {
        for b in 0..<blocks {
          let stride = (stage > 0 && b == 0) ? 2 : 1
          layers.append(
            BasicBlock(inChannels: channels, outChannels: width, stride: stride, key: key.fold(100 * (stage + 1) + b)))
          channels = width
        }
        layers += try at("stage\(stage + 1)")
      }
      layers += [GlobalAvgPool(), Linear(inFeatures: channels, outFeatures: r.classes, key: key.fold(1000), gain: 1)]
      return Model(network: Sequential(layers), siteNames: siteNames)
    case "unet-tiny":
      let net = try UNet(
        inChannels: c, widths: r.widths ?? defaultWidths["unet-tiny"]!, key: key,
        insert: { try r.insert(shapes[$0.name]!) },
        height: h, width: w)
      return Model(network: net, siteNames: siteNames)
    default:
      throw ModelError.unknownModel(r.name)
    }
  }
}

public enum ModelError: Error, CustomStringConvertible {
  case unknownModel(String)
  public var description: String {
    switch self {
    case .unknownModel(let name): return "unknown model '\(name)' (choices: \(ModelZoo.names.joined(separator: ", ")))"
    }
  }
}
