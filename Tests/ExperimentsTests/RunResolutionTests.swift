import Testing

@testable import Experiments

/// One broken spec and the error it must produce.
struct BrokenSpec: Sendable, CustomTestStringConvertible {
  var name: String
  var replacements: [String: String]
  var keyPath: String
  var message: String
  var scale = "default"

  var testDescription: String { name }
}

private let dropoutArm = "regularizer: {name: cutout, length: 0}"
private let lengthSweep = "  regularizer.length: [0, 4, 8, 12, 16, 20]"
private let peakCheck = "check: {kind: peak_interior, x: regularizer.length, metric: test_accuracy}"

@Suite struct RunResolutionTests {
  static let cases: [BrokenSpec] = [
    BrokenSpec(
      name: "regularizer typo", replacements: [dropoutArm: "regularizer: {name: dropblok, length: 0}"],
      keyPath: "base.regularizer.name",
      message:
        "unknown regularizer 'dropblok' (did you mean 'dropblock'? choices: cutout, dropblock, dropout, none, spatial-dropout)"
    ),
    BrokenSpec(
      name: "dataset typo", replacements: ["name: fashion-mnist,": "name: fashion-mnst,"], keyPath: "base.dataset.name",
      message:
        "unknown dataset 'fashion-mnst' (did you mean 'fashion-mnist'? choices: fashion-mnist, mnist-5k, synthetic-ct-seg)"
    ),
    BrokenSpec(
      name: "model typo", replacements: ["model: {name: cnn}": "model: {name: cnm}"], keyPath: "base.model.name",
      message: "unknown model 'cnm' (did you mean 'cnn'? choices: cnn, mlp, resnet, unet-tiny)"),
    BrokenSpec(
      name: "unknown train key", replacements: ["train: {epochs: 15,": "train: {epoch: 15,"],
      keyPath: "base.train.epoch",
      message: "unknown key 'epoch' (did you mean 'epochs'?"),
    BrokenSpec(
      name: "unknown dataset key", replacements: ["train_size: 10000": "trainsize: 10000"],
      keyPath: "base.dataset.trainsize",
      message: "unknown key 'trainsize' (did you mean 'train_size'?"),
    BrokenSpec(
      name: "unknown base key", replacements: ["  model: {name: cnn}": "  model: {name: cnn}\n  optimizer: sgd"],
      keyPath: "base.optimizer",
      message: "unknown key 'optimizer'"),
    BrokenSpec(
      name: "unknown regularizer parameter", replacements: [dropoutArm: "regularizer: {name: cutout, lenght: 0}"],
      keyPath: "base.regularizer.lenght",
      message: "unknown parameter 'lenght' of regularizer 'cutout' (did you mean 'length'?"),
    BrokenSpec(
      name: "unknown site", replacements: [dropoutArm: "regularizer: {name: cutout, length: 0, at: [conv9]}"],
      keyPath: "base.regularizer.at",
      message: "unknown site 'conv9' in model 'cnn' (did you mean 'conv1'? choices: conv1, conv2, fc, input)"),
    BrokenSpec(
      name: "optimizer typo", replacements: ["optimizer: sgd": "optimizer: sgdd"], keyPath: "base.train.optimizer",
      message: "unknown optimizer 'sgdd' (did you mean 'sgd'? choices: adam, sgd)"),
    BrokenSpec(
      name: "schedule typo", replacements: ["optimizer: sgd": "optimizer: sgd, schedule: cosin"],
      keyPath: "base.train.schedule",
      message: "unknown schedule 'cosin' (did you mean 'cosine'? choices: constant, cosine, step)"),
    BrokenSpec(
      name: "check kind typo", replacements: ["kind: peak_interior": "kind: peak_interor"], keyPath: "claim.check.kind",
      message: "unknown check kind 'peak_interor' (did you mean 'peak_interior'?"),
    BrokenSpec(
      name: "unknown check field",
      replacements: ["metric: test_accuracy}": "metric: test_accuracy, direction: max, trend: up}"],
      keyPath: "claim.check.trend", message: "unknown key 'trend'"),
    BrokenSpec(
      name: "check x not swept", replacements: ["x: regularizer.length": "x: regularizer.lenght"],
      keyPath: "claim.check.x",
      message: "'regularizer.lenght' is not a sweep key (did you mean 'regularizer.length'?"),
    BrokenSpec(
      name: "metric of another task", replacements: ["metric: test_accuracy}": "metric: dice}"],
      keyPath: "claim.check.metric",
      message: "unknown metric 'dice' (choices: cross_device_tokens, test_accuracy, test_error, test_loss, train_accuracy, train_loss, train_test_gap, val_accuracy, val_loss)"),
    BrokenSpec(
      name: "drop rate of 1",
      replacements: [
        "method: cutout": "method: dropout", dropoutArm: "regularizer: {name: dropout, rate: 1.0}",
        lengthSweep: "  train.lr: [0.1, 0.2]",
        peakCheck: "check: {kind: better_than, metric: test_accuracy, a: {train.lr: 0.1}, b: {train.lr: 0.2}}",
      ],
      keyPath: "base.regularizer.rate", message: "must be in [0, 1), got 1"),
    BrokenSpec(
      name: "sweep value out of range",
      replacements: [
        "method: cutout": "method: dropout", dropoutArm: "regularizer: {name: dropout}",
        lengthSweep: "  regularizer.rate: [0.1, 0.5, 1.2]",
        peakCheck: "check: {kind: peak_interior, x: regularizer.rate, metric: test_accuracy}",
      ],
      keyPath: "sweep.regularizer.rate", message: "must be in [0, 1), got 1.2 (at point regularizer.rate=1.2)"),
    BrokenSpec(
      name: "block larger than the feature map",
      replacements: [
        "method: cutout": "method: dropblock", dropoutArm: "regularizer: {name: dropblock, block_size: 20}",
        lengthSweep: "  train.lr: [0.1, 0.2]",
        peakCheck: "check: {kind: better_than, metric: test_accuracy, a: {train.lr: 0.1}, b: {train.lr: 0.2}}",
      ],
      keyPath: "base.regularizer",
      message: "at site 'conv2' (shape [14, 14, 64]): block_size 20 is larger than the 14×14 feature map"),
    BrokenSpec(
      name: "zero epochs", replacements: ["epochs: 15": "epochs: 0"], keyPath: "base.train.epochs",
      message: "must be in [1, 10000], got 0"),
    BrokenSpec(
      name: "epochs that overflow an estimate", replacements: ["epochs: 15": "epochs: 9223372036854775807"],
      keyPath: "base.train.epochs", message: "must be in [1, 10000], got 9223372036854775807"),
    BrokenSpec(
      name: "epochs as a huge double", replacements: ["epochs: 15": "epochs: 1e12"], keyPath: "base.train.epochs",
      message: "must be in [1, 10000], got 1000000000000"),
    BrokenSpec(
      name: "negative steps", replacements: ["epochs: 15,": "epochs: 15, steps: -10,"], keyPath: "base.train.steps",
      message: "must be in [1, 100000000], got -10"),
    BrokenSpec(
      name: "zero steps", replacements: ["epochs: 15,": "epochs: 15, steps: 0,"], keyPath: "base.train.steps",
      message: "must be in [1, 100000000], got 0"),
    BrokenSpec(
      name: "negative subset seed", replacements: ["test_size: 10000}": "test_size: 10000, subset_seed: -1}"],
      keyPath: "base.dataset.subset_seed", message: "must be in [0, 4294967295], got -1"),
    BrokenSpec(
      name: "negative seed", replacements: ["seeds: [0, 1, 2, 3, 4]": "seeds: [0, -5]"], keyPath: "seeds[1]",
      message: "must be in [0, 4294967295], got -5"),
    BrokenSpec(
      name: "negative batch", replacements: ["batch: 128": "batch: -1"], keyPath: "base.train.batch",
      message: "must be in [1, 65536], got -1"),
    BrokenSpec(
      name: "zero lr", replacements: ["lr: 0.05": "lr: 0"], keyPath: "base.train.lr", message: "must be positive, got 0"
    ),
    BrokenSpec(
      name: "train size above the dataset", replacements: ["train_size: 10000": "train_size: 70000"],
      keyPath: "base.dataset.train_size",
      message: "must be in [1, 60000] for fashion-mnist, got 70000"),
    BrokenSpec(
      name: "empty sweep list", replacements: [lengthSweep: "  regularizer.length: []"],
      keyPath: "sweep.regularizer.length",
      message: "empty sweep list; give at least one value"),
    BrokenSpec(
      name: "zip of unequal lengths",
      replacements: [
        lengthSweep: lengthSweep + "\n  zip: {train.lr: [0.1, 0.2], train.epochs: [1]}",
        peakCheck: "check: {kind: peak_interior, x: regularizer.length, metric: test_accuracy, by: [train.lr]}",
      ],
      keyPath: "sweep.zip", message: "zip lists must have equal lengths: train.lr has 2, train.epochs has 1"),
    BrokenSpec(
      name: "empty seeds", replacements: ["seeds: [0, 1, 2, 3, 4]": "seeds: []"], keyPath: "seeds",
      message: "needs at least one seed"),
    BrokenSpec(
      name: "duplicate seeds", replacements: ["seeds: [0, 1, 2, 3, 4]": "seeds: [0, 1, 1]"], keyPath: "seeds",
      message: "duplicate seed 1 in [0, 1, 1]"),
    BrokenSpec(
      name: "segmentation model on a classification dataset",
      replacements: ["model: {name: cnn}": "model: {name: unet-tiny}"],
      keyPath: "base.model.name",
      message: "model 'unet-tiny' is a segmentation model but dataset 'fashion-mnist' is a classification dataset"),
    BrokenSpec(
      name: "unknown method", replacements: ["method: cutout": "method: cutot"], keyPath: "method",
      message: "unknown regularizer 'cutot' (did you mean 'cutout'?"),
    BrokenSpec(
      name: "range that cannot decide",
      replacements: [
        peakCheck: "check: {kind: argmax_in, x: regularizer.length, metric: test_accuracy, range: [0, 20]}"
      ],
      keyPath: "claim.check.range", message: "the range [0, 20] must contain some but not all"),
    BrokenSpec(
      name: "other axis not grouped", replacements: [lengthSweep: lengthSweep + "\n  train.lr: [0.1, 0.2]"],
      keyPath: "claim.check.x",
      message: "the sweep also varies train.lr (add it to the check's by: or where:)"),
    BrokenSpec(
      name: "unpairable better_than",
      replacements: [
        peakCheck:
          "check: {kind: better_than, metric: test_accuracy, a: {regularizer.length: 8}, b: {regularizer.length: 9}}"
      ],
      keyPath: "claim.check", message: "no grid point matches b: {regularizer.length: 9}"),
    BrokenSpec(
      name: "site_params for a site not in at",
      replacements: [dropoutArm: "regularizer: {name: cutout, length: 0, at: [input], site_params: {conv1: {length: 4}}}"],
      keyPath: "base.regularizer.site_params.conv1", message: "site_params names site 'conv1', which is not in regularizer.at"),
    BrokenSpec(
      name: "site_params with an unknown parameter",
      replacements: [dropoutArm: "regularizer: {name: cutout, length: 0, at: [input], site_params: {input: {lenght: 4}}}"],
      keyPath: "base.regularizer.site_params.input.lenght", message: "unknown parameter 'lenght' of regularizer 'cutout'"),
    BrokenSpec(
      name: "duplicate zip position",
      replacements: [
        lengthSweep: lengthSweep + "\n  zip: {train.lr: [0.1, 0.1], train.epochs: [1, 1]}",
        peakCheck: "check: {kind: peak_interior, x: regularizer.length, metric: test_accuracy, by: [train.lr]}",
      ],
      keyPath: "sweep.zip", message: "duplicate zip position train.lr=0.1, train.epochs=1"),
    BrokenSpec(
      name: "equivalence without a margin",
      replacements: [
        peakCheck:
          "check: {kind: equivalent, metric: test_accuracy, a: {regularizer.length: 8}, b: {regularizer.length: 0}}"
      ],
      keyPath: "claim.check.margin", message: "equivalent needs a positive margin"),
    BrokenSpec(
      name: "plateau with one point in range",
      replacements: [
        peakCheck: "check: {kind: plateau, x: regularizer.length, metric: test_accuracy, range: [3, 5], margin: 1}"
      ],
      keyPath: "claim.check.range", message: "plateau needs at least 2 values of regularizer.length in [3, 5]"),
    BrokenSpec(
      name: "regime without a condition",
      replacements: [peakCheck: peakCheck + "\n  regime: {reference: {regularizer.length: 0}}"],
      keyPath: "claim.regime.overfit_gap",
      message: "a regime needs at least one condition (state overfit_gap (over-fitting), a convergence key"),
    BrokenSpec(
      name: "error only in the full scale", replacements: ["full: {train.epochs: 60,": "full: {train.epochs: -60,"],
      keyPath: "base.train.epochs",
      message: "must be in [1, 10000], got -60", scale: "full"),
    BrokenSpec(
      name: "initialisation typo", replacements: ["model: {name: cnn}": "model: {name: cnn, init: pytroch}"],
      keyPath: "base.model.init",
      message: "unknown initialisation 'pytroch' (did you mean 'pytorch'? choices: he, pytorch)"),
  ]

  @Test(arguments: cases) func brokenSpecGivesOneClearError(_ broken: BrokenSpec) {
    do throws(SpecError) {
      let spec = try ExperimentSpec.parse(
        yaml: cutoutSpecYAML(replacing: broken.replacements), fileName: "Experiments/cutout-patch-length.yaml")
      if broken.scale != "default" {
        _ = try spec.plan(scale: "default", catalog: .fixture)
      }
      try spec.validate(catalog: .fixture)
      Issue.record("expected an error at \(broken.keyPath)")
    } catch {
      #expect(error.keyPath == broken.keyPath)
      #expect(error.file == "Experiments/cutout-patch-length.yaml")
      #expect(error.description.contains("\(broken.keyPath): \(broken.message)"), "\(error.description)")
      #expect(!error.description.contains("\n"))
    }
  }

  @Test func errorLineIsTheLineOfTheKey() throws {
    let spec = try ExperimentSpec.parse(
      yaml: cutoutSpecYAML(replacing: [dropoutArm: "regularizer: {name: dropblok, length: 0}"]),
      fileName: "Experiments/cutout-patch-length.yaml")
    #expect(throws: SpecError.self) { try spec.validate(catalog: .fixture) }
    do throws(SpecError) {
      try spec.validate(catalog: .fixture)
    } catch {
      #expect(
        error.description.hasPrefix(
          "Experiments/cutout-patch-length.yaml:12: base.regularizer.name: unknown regularizer 'dropblok'"))
    }
  }

  @Test func validSpecValidates() throws {
    let spec = try ExperimentSpec.parse(yaml: cutoutSpecYAML(), fileName: "Experiments/cutout-patch-length.yaml")
    try spec.validate(catalog: .fixture)
  }

  /// `model.init` is the model's, not a model parameter: it reaches the run's config and its tree (so its cache key)
  /// only when it is not the standard scheme, so every run keyed before the setting existed keeps its key.
  @Test func initialisationIsInTheTreeOnlyWhenNotStandard() throws {
    let plain = try ExperimentSpec.parse(yaml: cutoutSpecYAML(), fileName: "cutout-patch-length.yaml").plan(
      scale: "default", catalog: .fixture)
    let torch = try ExperimentSpec.parse(
      yaml: cutoutSpecYAML(replacing: ["model: {name: cnn}": "model: {name: cnn, init: pytorch}"]), fileName: "cutout-patch-length.yaml"
    ).plan(scale: "default", catalog: .fixture)
    let he = try ExperimentSpec.parse(
      yaml: cutoutSpecYAML(replacing: ["model: {name: cnn}": "model: {name: cnn, init: he}"]), fileName: "cutout-patch-length.yaml"
    ).plan(scale: "default", catalog: .fixture)
    #expect(plain.runs[0].config.model.initialization == .he)
    #expect(plain.runs[0].configTree[path: "model.init"] == nil)
    #expect(he.runs.map(\.configTree) == plain.runs.map(\.configTree))
    #expect(torch.runs[0].config.model.initialization == .pytorch)
    #expect(torch.runs[0].configTree[path: "model.init"] == .string("pytorch"))
    #expect(torch.runs[0].config.model.params["init"] == nil)
    // The tree decodes back to the same config.
    #expect(try RunConfig(tree: torch.runs[0].configTree) == torch.runs[0].config)
  }
}
