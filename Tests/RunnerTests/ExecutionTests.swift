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
    let insert = try RunExecutor.insertion(config)
    let input = try #require(try insert(Site(name: "input", shape: [784], index: 0)) as? Dropout)
    let hidden = try #require(try insert(Site(name: "hidden1", shape: [16], index: 1)) as? Dropout)
    #expect(input.rate == 0.2 && hidden.rate == 0.5)
    #expect(try insert(Site(name: "hidden2", shape: [16], index: 2)) == nil)
    #expect(config.params(at: "input")["rate"] == .double(0.2))
  }

  /// A classifier at chance on its own training set never trained: stalled, not ok.
  @Test func stalledThresholdIsChancePlusFivePoints() {
    #expect(RunExecutor.stalledAccuracy(classes: 10) == 15)
    #expect(RunExecutor.stalledAccuracy(classes: 2) == 55)
  }
}
