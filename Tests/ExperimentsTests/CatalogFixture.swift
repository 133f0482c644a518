import Experiments
import Foundation

/// A small fake registry standing in for the real NN / Regularizers / Data registries, so these tests do not
/// depend on the engine.
extension Catalog {
  static let fixture = Catalog(
    datasets: [
      "fashion-mnist": DatasetInfo(
        imageShape: [28, 28, 1], classes: 10, task: "classification", trainMax: 60000, testMax: 10000),
      "mnist-5k": DatasetInfo(
        imageShape: [28, 28, 1], classes: 10, task: "classification", trainMax: 5000, testMax: 10000),
      "synthetic-ct-seg": DatasetInfo(
        imageShape: [32, 32, 1], classes: 2, task: "segmentation", trainMax: 1000, testMax: 200),
    ],
    models: [
      "mlp": ModelInfo(
        parameters: [
          ParameterSpec(
            name: "widths", kind: .intList, defaultValue: .list([.int(1024), .int(1024)]), doc: "hidden widths")
        ],
        task: "classification", defaultSites: ["hidden1"],
        siteShapes: { shape, params in
          var sites = ["input": shape]
          for (i, w) in (params["widths"]?.asList ?? []).enumerated() { sites["hidden\(i + 1)"] = [w.asInt ?? 0] }
          return sites
        }),
      "cnn": ModelInfo(
        parameters: [
          ParameterSpec(
            name: "channels", kind: .intList, defaultValue: .list([.int(32), .int(64)]), doc: "conv channels")
        ],
        task: "classification", defaultSites: ["conv2"],
        siteShapes: { shape, params in
          let c = (params["channels"]?.asList ?? []).compactMap(\.asInt)
          return [
            "input": shape, "conv1": [shape[0], shape[1], c[0]], "conv2": [shape[0] / 2, shape[1] / 2, c[1]],
            "fc": [128],
          ]
        }),
      "resnet": ModelInfo(
        parameters: [
          ParameterSpec(name: "blocks", kind: .int(min: 1, max: 8), defaultValue: .int(1), doc: "blocks per stage"),
          ParameterSpec(name: "width", kind: .int(min: 1, max: nil), defaultValue: .int(16), doc: "first stage width"),
        ],
        task: "classification", defaultSites: ["stage3"],
        siteShapes: { shape, params in
          let w = params["width"]?.asInt ?? 16
          return [
            "input": shape, "stage1": [shape[0], shape[1], w], "stage2": [shape[0] / 2, shape[1] / 2, 2 * w],
            "stage3": [shape[0] / 4, shape[1] / 4, 4 * w],
          ]
        }),
      "unet-tiny": ModelInfo(
        parameters: [
          ParameterSpec(
            name: "base_channels", kind: .int(min: 1, max: nil), defaultValue: .int(8), doc: "first level channels")
        ],
        task: "segmentation", defaultSites: ["bottleneck"],
        siteShapes: { shape, _ in
          ["input": shape, "enc1": [shape[0], shape[1], 8], "bottleneck": [shape[0] / 4, shape[1] / 4, 32]]
        }),
    ],
    regularizers: [
      "none": RegularizerInfo(parameters: [], taxonomy: "none", summary: "no regularizer"),
      "dropout": RegularizerInfo(
        parameters: [rate(0.5)], taxonomy: "architecture", summary: "Bernoulli unit mask"),
      "spatial-dropout": RegularizerInfo(
        parameters: [rate(0.1)], taxonomy: "architecture", summary: "drop whole channels",
        validate: { _, site in site.shape.count == 3 ? nil : "needs a spatial feature map" }),
      "dropblock": RegularizerInfo(
        parameters: [
          rate(0.1),
          ParameterSpec(name: "block_size", kind: .int(min: 1, max: nil), defaultValue: .int(7), doc: "block side"),
          ParameterSpec(
            name: "schedule", kind: .choice(["fixed", "linear"]), defaultValue: .string("fixed"), doc: "rate schedule"),
        ],
        taxonomy: "architecture", summary: "contiguous blocks",
        validate: { params, site in
          let shape = site.shape
          guard shape.count == 3 else { return "DropBlock needs a spatial feature map" }
          let size = params["block_size"]?.asInt ?? 0
          return size > min(shape[0], shape[1])
            ? "block_size \(size) is larger than the \(shape[0])×\(shape[1]) feature map" : nil
        }),
      "cutout": RegularizerInfo(
        parameters: [ParameterSpec(name: "length", kind: .int(min: 0, max: nil), doc: "patch side in pixels")],
        taxonomy: "data", summary: "zero a square patch", defaultSites: ["input"]),
    ])

  private static func rate(_ value: Double) -> ParameterSpec {
    ParameterSpec(
      name: "rate", kind: .double(min: 0, max: 1, minInclusive: true, maxInclusive: false),
      defaultValue: .double(value),
      doc: "drop probability")
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
