import Datasets
import Experiments
import Foundation
import NN
import Regularizers
import Tensor
import Testing

@testable import Runner

/// Several regularizers in one run (`regularizer.with`): each resolved and validated like the first, composed in
/// order at a shared activation site, one per weight/branch/training site, keyed by every method's file — and a
/// run without `with` keeps its tree and key.
@Suite struct SeveralRegularizersTests {
  static func run(
    _ regularizer: String, train: String = "{epochs: 2, batch: 32, lr: 0.1}", model: String = "{name: mlp, widths: [16, 16]}"
  ) -> String {
    """
    dataset: {name: fashion-mnist, train_size: 128, test_size: 64}
    model: \(model)
    regularizer: \(regularizer)
    train: \(train)
    seed: 0
    """
  }

  static func resolve(_ yaml: String) throws -> RunConfig {
    try RunConfig.resolve(tree: try ConfigValue.parseYAML(yaml), catalog: CatalogBuilder.catalog)
  }

  @Test func companionsAreResolvedLikeTheFirst() throws {
    let config = try Self.resolve(
      Self.run(
        "{name: dropout, rate: 0.5, with: [{name: max-norm, c: 3}, {name: cutout, length: 4}]}", model: "{name: cnn}"))
    #expect(config.regularizer.at == ["fc1"])
    #expect(config.regularizer.with.map(\.name) == ["max-norm", "cutout"])
    #expect(config.regularizer.with[0].at == ["train"])  // the training loop's site, by default
    #expect(config.regularizer.with[1].at == ["input"])
    #expect(config.regularizer.with[1].params["length"] == .int(4))
    #expect(config.regularizer.all.map(\.name) == ["dropout", "max-norm", "cutout"])
    // The tree round-trips, and without `with` it is the tree of before.
    #expect(try RunConfig(tree: config.tree) == config)
    let single = try Self.resolve(Self.run("{name: dropout, rate: 0.5}"))
    #expect(single.tree[path: "regularizer.with"] == nil)
  }

  /// A parameter added after results were stored (DropConnect's `per_sample`) is left out of the tree at its
  /// default — written or not — so stored runs keep their key; set, it is in the tree and the run trains with it.
  @Test func parametersAddedLaterAreOmittedAtTheirDefault() throws {
    let plain = try Self.resolve(Self.run("{name: dropconnect, rate: 0.5}"))
    let explicit = try Self.resolve(Self.run("{name: dropconnect, rate: 0.5, per_sample: false}"))
    let perSample = try Self.resolve(Self.run("{name: dropconnect, rate: 0.5, per_sample: true}"))
    #expect(plain.tree[path: "regularizer.per_sample"] == nil)
    #expect(explicit.tree == plain.tree)
    #expect(perSample.tree[path: "regularizer.per_sample"] == .bool(true))
    #expect(try RunConfig(tree: perSample.tree) == perSample)
    let (a, b) = (try execute(plain), try execute(perSample))
    #expect(a.final["test_accuracy"] != nil && b.final["test_accuracy"] != nil)
    #expect(a.epochs.map(\.trainLoss) != b.epochs.map(\.trainLoss), "per_sample changed nothing")
  }

  @Test func badCompanionsAreOneLineErrorsNamingTheKey() throws {
    func error(_ regularizer: String) -> SpecError? {
      do {
        _ = try Self.resolve(Self.run(regularizer))
        return nil
      } catch { return error as? SpecError }
    }
    let unknown = try #require(error("{name: dropout, with: [{name: dropblok}]}"))
    #expect(unknown.keyPath == "base.regularizer.with.0.name", "\(unknown)")
    let range = try #require(error("{name: dropout, with: [{name: max-norm, c: -1}]}"))
    #expect(range.keyPath == "base.regularizer.with.0.c", "\(range)")
    let twice = try #require(error("{name: dropout, with: [{name: dropout, rate: 0.2}]}"))
    #expect(twice.message.contains("listed twice"), "\(twice)")
    let nested = try #require(error("{name: dropout, with: [{name: cutout, with: [{name: max-norm}]}]}"))
    #expect(nested.keyPath == "base.regularizer.with.0.with", "\(nested)")
    let none = try #require(error("{name: dropout, with: [none]}"))
    #expect(none.keyPath == "base.regularizer.with.0.name", "\(none)")
    let notList = try #require(error("{name: dropout, with: {name: max-norm}}"))
    #expect(notList.keyPath == "base.regularizer.with", "\(notList)")
    // Two methods on one weight site: a weight site takes one regularizer.
    let shared = try #require(
      error("{name: dropconnect, at: [hidden1], with: [{name: targeted-dropout, at: [hidden1]}]}"))
    #expect(shared.message.contains("takes one regularizer"), "\(shared)")
    #expect(error("{name: dropconnect, at: [hidden1], with: [{name: targeted-dropout, at: [hidden2]}]}") == nil)
  }

  func execute(_ config: RunConfig) throws -> RunRecord {
    _ = try BLAS.info()
    return try RunExecutor().execute(config, key: "k", point: [:], configTree: config.tree)
  }

  /// The max-norm method listed beside dropout trains bit for bit like `train.max_norm` with dropout: the same
  /// projection after the same step, through the training loop's plug point.
  @Test func maxNormAsACompanionEqualsTheTrainSetting() throws {
    let hooked = try Self.resolve(Self.run("{name: dropout, rate: 0.5, with: [{name: max-norm, c: 0.5}]}"))
    let setting = try Self.resolve(
      Self.run("{name: dropout, rate: 0.5}", train: "{epochs: 2, batch: 32, lr: 0.1, max_norm: 0.5}"))
    let plain = try Self.resolve(Self.run("{name: dropout, rate: 0.5}"))
    let (a, b, c) = (try execute(hooked), try execute(setting), try execute(plain))
    #expect(a.epochs == b.epochs && a.final == b.final)
    #expect(a.epochs != c.epochs, "c = 0.5 should bind at lr 0.1")
  }

  /// At a shared activation site the layers run in the order listed, each drawing from its own key: Cutout then
  /// dropout at the input is not the same draw as either alone, and it is deterministic.
  @Test func sharedActivationSitesCompose() throws {
    let both = try Self.resolve(
      Self.run("{name: cutout, length: 6, with: [{name: dropout, rate: 0.3, at: [input]}]}", model: "{name: cnn}"))
    let plugs = try RunExecutor.plugs(both.regularizer)
    let input = Site(name: "input", kind: .activation, shape: [28, 28, 1], stream: 0)
    guard case .layer(let layer)? = try plugs(input), let sequence = layer as? Sequential else {
      Issue.record("two methods at one site should compose into a Sequential")
      return
    }
    #expect(sequence.layers.count == 2)
    #expect(sequence.layers[0] is Cutout && sequence.layers[1] is Dropout)
    #expect(try plugs(Site(name: "hidden1", kind: .activation, shape: [16], stream: 1)) == nil)
    let first = try execute(both)
    #expect(first.epochs == (try execute(both)).epochs)
    let cutoutAlone = try execute(try Self.resolve(Self.run("{name: cutout, length: 6}", model: "{name: cnn}")))
    #expect(first.epochs != cutoutAlone.epochs)
  }

  /// A run's cache key covers the companions' files; a run without `with` has the key of before.
  @Test func theKeyCoversEveryMethodsFile() throws {
    let single = try Self.resolve(Self.run("{name: dropout, rate: 0.5}"))
    let both = try Self.resolve(Self.run("{name: dropout, rate: 0.5, with: [{name: max-norm}]}"))
    let k1 = RunCache.key(configTree: single.tree, datasetChecksums: [:], kernels: "k")
    let k2 = RunCache.key(configTree: both.tree, datasetChecksums: [:], kernels: "k")
    #expect(k1 != k2)
    #expect(EngineVersion.regularizer("max-norm") != EngineVersion.regularizer("dropout"))
  }
}
