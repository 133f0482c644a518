import Experiments
import Foundation

/// A model as the spec language sees it (`ModelDescription`), its activation sites given by a closure.
struct FixtureModel: ModelDescription {
  var name: String
  var summary = ""
  var task = TaskKind.classification
  var parameters: [ParameterDescription]
  var defaultSites: [String]
  /// Site name → per-sample shape, for the input shape and resolved parameters.
  var shapes: @Sendable ([Int], [String: ConfigValue]) -> [String: [Int]]

  func sites(inputShape: [Int], parameters: [String: ConfigValue]) -> [Site] {
    shapes(inputShape, parameters).sorted { $0.key < $1.key }.map { Site(name: $0.key, shape: $0.value, stream: 0) }
  }

  /// The fully connected count for `mlp` (so a huge one is refused), none for the others.
  func weightCount(inputShape: [Int], classes: Int, parameters: [String: ConfigValue]) -> Double {
    guard name == "mlp" else { return 0 }
    let layers = [inputShape.reduce(1, *)] + (parameters["widths"]?.asList ?? []).compactMap(\.asInt) + [classes]
    return zip(layers, layers.dropFirst()).reduce(0.0) { $0 + Double($1.0) * Double($1.1) + Double($1.1) }
  }

  func trainingRate(inputShape: [Int], parameters: [String: ConfigValue]) -> Double { 1_000 }
}

/// A method as the spec language sees it (`MethodDescription`), its site check given by a closure.
struct FixtureMethod: MethodDescription {
  var name: String
  var taxonomy = Taxonomy.architecture
  var traits = Traits()
  var summary = ""
  var parameters: [ParameterDescription]
  var plugPoint = PlugPoint.activation
  var defaultSites: [String]? = nil
  var needsValidation = false
  var check: @Sendable ([String: ConfigValue], Site) -> String? = { _, _ in nil }

  func problem(_ parameters: [String: ConfigValue], at site: Site) -> String? { check(parameters, site) }
}

/// A small fake registry standing in for the real NN / Regularizers / Data registries, so these tests do not
/// depend on the engine.
extension Catalog {
  static let fixture = Catalog(
    datasets: [
      "fashion-mnist": DatasetInfo(
        imageShape: [28, 28, 1], classes: 10, task: .classification, fullTrainSize: 60000, fullTestSize: 10000),
      "mnist-5k": DatasetInfo(
        imageShape: [28, 28, 1], classes: 10, task: .classification, fullTrainSize: 5000, fullTestSize: 10000),
      "synthetic-ct-seg": DatasetInfo(
        imageShape: [32, 32, 1], classes: 2, task: .segmentation, fullTrainSize: 1000, fullTestSize: 200),
    ],
    models: [
      FixtureModel(
        name: "mlp",
        parameters: [
          ParameterDescription(
            name: "widths", kind: .intList, defaultValue: .list([.int(1024), .int(1024)]), doc: "hidden widths")
        ],
        defaultSites: ["hidden1"],
        shapes: { shape, params in
          var sites = ["input": shape]
          for (i, w) in (params["widths"]?.asList ?? []).enumerated() { sites["hidden\(i + 1)"] = [w.asInt ?? 0] }
          return sites
        }),
      FixtureModel(
        name: "cnn",
        parameters: [
          ParameterDescription(
            name: "channels", kind: .intList, defaultValue: .list([.int(32), .int(64)]), doc: "conv channels")
        ],
        defaultSites: ["conv2"],
        shapes: { shape, params in
          let c: [Int] = (params["channels"]?.asList ?? []).compactMap { $0.asInt }
          let conv1 = [shape[0], shape[1], c[0]]
          let conv2 = [shape[0] / 2, shape[1] / 2, c[1]]
          return ["input": shape, "conv1": conv1, "conv2": conv2, "fc": [128]]
        }),
      FixtureModel(
        name: "resnet",
        parameters: [
          ParameterDescription(
            name: "blocks", kind: .int(min: 1, max: 8), defaultValue: .int(1), doc: "blocks per stage"),
          ParameterDescription(
            name: "width", kind: .int(min: 1, max: nil), defaultValue: .int(16), doc: "first stage width"),
        ],
        defaultSites: ["stage3"],
        shapes: { shape, params in
          let w = params["width"]?.asInt ?? 16
          return [
            "input": shape, "stage1": [shape[0], shape[1], w], "stage2": [shape[0] / 2, shape[1] / 2, 2 * w],
            "stage3": [shape[0] / 4, shape[1] / 4, 4 * w],
          ]
        }),
      FixtureModel(
        name: "unet-tiny", task: .segmentation,
        parameters: [
          ParameterDescription(
            name: "base_channels", kind: .int(min: 1, max: nil), defaultValue: .int(8), doc: "first level channels")
        ],
        defaultSites: ["bottleneck"],
        shapes: { shape, _ in
          ["input": shape, "enc1": [shape[0], shape[1], 8], "bottleneck": [shape[0] / 4, shape[1] / 4, 32]]
        }),
    ],
    regularizers: [
      FixtureMethod(name: "none", summary: "no regularizer", parameters: []),
      FixtureMethod(name: "dropout", summary: "Bernoulli unit mask", parameters: [rate(0.5)]),
      FixtureMethod(
        name: "spatial-dropout", summary: "drop whole channels", parameters: [rate(0.1)],
        check: { _, site in site.shape.count == 3 ? nil : "needs a spatial feature map" }),
      FixtureMethod(
        name: "dropblock", summary: "contiguous blocks",
        parameters: [
          rate(0.1),
          ParameterDescription(
            name: "block_size", kind: .int(min: 1, max: nil), defaultValue: .int(7), doc: "block side"),
          ParameterDescription(
            name: "schedule", kind: .choice(["fixed", "linear"]), defaultValue: .string("fixed"), doc: "rate schedule"),
        ],
        check: { params, site in
          let shape = site.shape
          guard shape.count == 3 else { return "DropBlock needs a spatial feature map" }
          let size = params["block_size"]?.asInt ?? 0
          return size > min(shape[0], shape[1])
            ? "block_size \(size) is larger than the \(shape[0])×\(shape[1]) feature map" : nil
        }),
      FixtureMethod(
        name: "cutout", taxonomy: .data, summary: "zero a square patch",
        parameters: [ParameterDescription(name: "length", kind: .int(min: 0, max: nil), doc: "patch side in pixels")],
        defaultSites: ["input"]),
    ])

  private static func rate(_ value: Double) -> ParameterDescription {
    ParameterDescription(
      name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false),
      defaultValue: .double(value), doc: "drop probability")
  }
}

/// The example spec, with substitutions for tests that need a variant.
func cutoutSpecYAML(replacing replacements: [String: String] = [:]) -> String {
  var text = """
    id: cutout-patch-length
    title: Cutout patch length has an interior optimum
    method: cutout
    paper: {cite: "DeVries & Taylor 2017, Improved Regularization of CNNs with Cutout", where: "Fig. 3", result: "CIFAR-10 best at L=16 of 32 px"}
    claim:
      text: Test accuracy vs patch length is an inverted U with an interior optimum.
      check: {kind: peak_interior, x: regularizer.length, metric: test_accuracy}
    setting: {paper: "ResNet-18 on CIFAR-10", ours: "cnn on 10k Fashion-MNIST images"}
    base:
      dataset: {name: fashion-mnist, train_size: 10000, test_size: 10000}
      model: {name: cnn}
      regularizer: {name: cutout, length: 0}
      train: {epochs: 15, batch: 128, optimizer: sgd, lr: 0.05, momentum: 0.9, weight_decay: 5e-4}
    sweep:
      regularizer.length: [0, 4, 8, 12, 16, 20]
    seeds: [0, 1, 2, 3, 4]
    scales:
      smoke: {train.epochs: 1, dataset.train_size: 512, seeds: [0]}
      default: {}
      full: {train.epochs: 60, seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}
    report: {x_label: "patch length (px)", paper_x: 16}

    """
  for (old, new) in replacements {
    precondition(text.contains(old), "fixture does not contain \(old)")
    text = text.replacingOccurrences(of: old, with: new)
  }
  return text
}
