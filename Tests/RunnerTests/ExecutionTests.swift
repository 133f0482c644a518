import Experiments
import NN
import Regularizers
import Testing

@testable import Runner

@Suite struct ExecutionTests {
  /// Srivastava's input 0.2 + hidden 0.5 is one dropout with a per-site rate: each site gets its own parameters.
  @Test func siteParamsOverrideAtTheirSiteOnly() throws {
    let config = RegularizerConfig(
      name: "dropout", at: ["input", "hidden1"], params: ["rate": .double(0.5)],
      siteParams: ["input": ["rate": .double(0.2)]])
    let plug = try RunExecutor.plugs(config)
    func layer(_ site: Site) throws -> Dropout? {
      guard case .layer(let l)? = try plug(site) else { return nil }
      return l as? Dropout
    }
    let input = try #require(try layer(Site(name: "input", shape: [784], stream: 0)))
    let hidden = try #require(try layer(Site(name: "hidden1", shape: [16], stream: 1)))
    #expect(input.rate == 0.2 && hidden.rate == 0.5)
    #expect(try plug(Site(name: "hidden2", shape: [16], stream: 2)) == nil)
    // A site of another kind with the same name gets nothing: dropout acts on activations.
    #expect(try plug(Site(name: "hidden1", kind: .weights, shape: [16, 784], stream: 9)) == nil)
    #expect(config.params(at: "input")["rate"] == .double(0.2))
  }

  /// A classifier at chance on its own training set never trained: stalled, not ok.
  @Test func stalledThresholdIsChancePlusFivePoints() {
    #expect(RunExecutor.stalledAccuracy(classes: 10) == 15)
    #expect(RunExecutor.stalledAccuracy(classes: 2) == 55)
    // Read on the training's standard evaluation, never on a variant's: a net cut to an eighth of its width may
    // score at chance and still have trained.
    #expect(RunExecutor.status(diverged: false, standard: ["train_accuracy": 12], task: .classification, classes: 10) == .stalled)
    #expect(RunExecutor.status(diverged: false, standard: ["train_accuracy": 99], task: .classification, classes: 10) == .ok)
    #expect(RunExecutor.status(diverged: true, standard: ["train_accuracy": 99], task: .classification, classes: 10) == .diverged)
    #expect(RunExecutor.status(diverged: false, standard: ["train_mse": 9], task: .regression, classes: 1) == .ok)
  }
}
