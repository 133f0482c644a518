import NN
import Tensor
import Testing

@testable import Regularizers

/// Clustering-based dropout: k-means and halves by hand, rates ordered by response, groups recomputed only at
/// epoch boundaries from that epoch's statistic, per-group drop frequencies at their rates.
@Suite struct ClusteringDropoutTests {
  @Test func kMeansAndHalvesByHand() {
    let values = [0.1, 5.0, 0.2, 9.8, 5.2, 10.0]
    let (groups, count) = ClusteringDropout.kMeans(values, k: 3)
    #expect(count == 3 && groups == [0, 1, 0, 2, 1, 2])
    let rates = ClusteringDropout.rates(for: values, grouping: .kmeans, clusters: 3, low: 0.1, high: 0.5)
    #expect(zip(rates, [0.5, 0.3, 0.5, 0.1, 0.3, 0.1]).allSatisfy { abs($0 - $1) < 1e-12 }, "\(rates)")
    // Biased dropout: the weaker half gets `high`, the stronger `low`; ties by unit index.
    let halves = ClusteringDropout.rates(for: [3, 1, 2, 2], grouping: .halves, clusters: 0, low: 0.1, high: 0.5)
    #expect(halves == [0.1, 0.5, 0.5, 0.1])
    // Identical values: one group, the middle rate.
    #expect(ClusteringDropout.rates(for: [1, 1, 1], grouping: .kmeans, clusters: 3, low: 0.2, high: 0.4)
      .allSatisfy { abs($0 - 0.3) < 1e-12 })
  }

  /// Units 0–3 respond strongly, 4–7 weakly. During the first epoch every unit drops at the middle rate; after the
  /// epoch ends the strong ones drop at `low` and the weak at `high` — and not before.
  @Test func groupsChangeOnlyAtEpochEndsAndFrequenciesMatchTheirRates() {
    let layer = ClusteringDropout(units: 8, grouping: .halves, low: 0.1, high: 0.5, stream: 3)
    var x = Tensor(shape: [16, 8])
    for n in 0..<16 { for u in 0..<8 { x.storage[n * 8 + u] = u < 4 ? 3 : 0.5 } }
    func frequencies(steps: Range<Int>) -> [Double] {
      var dropped = [Int](repeating: 0, count: 8)
      for step in steps {
        let y = layer.forward(x, training(step: step))
        for i in 0..<y.count where y.storage[i] == 0 { dropped[i % 8] += 1 }
      }
      return dropped.map { Double($0) / Double(16 * steps.count) }
    }
    let first = frequencies(steps: 0..<400)
    #expect(layer.rates.allSatisfy { $0 == 0.3 })
    #expect(first.allSatisfy { abs($0 - 0.3) < 0.03 }, "\(first)")
    layer.epochEnd(0)
    #expect(layer.rates == [0.1, 0.1, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5])
    let second = frequencies(steps: 400..<800)
    #expect(second[0..<4].allSatisfy { abs($0 - 0.1) < 0.03 } && second[4...].allSatisfy { abs($0 - 0.5) < 0.03 }, "\(second)")
    layer.epochEnd(1)
    // The statistic restarts each epoch: an epoch where the weak units turn strong swaps the rates at its end.
    for n in 0..<16 { for u in 0..<8 { x.storage[n * 8 + u] = u < 4 ? 0.5 : 3 } }
    _ = frequencies(steps: 800..<810)
    #expect(layer.rates == [0.1, 0.1, 0.1, 0.1, 0.5, 0.5, 0.5, 0.5])  // unchanged mid-epoch
    layer.epochEnd(2)
    #expect(layer.rates == [0.5, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1])
  }

  @Test func gradientStatisticAndInvertedScaling() {
    let layer = ClusteringDropout(units: 4, statistic: .featureGradient, grouping: .halves, low: 0, high: 0.5, stream: 1)
    let x = uniformTensor([8, 4], seed: 2, low: 0.5, high: 1.5)
    for step in 0..<20 {
      let y = layer.forward(x, training(step: step))
      for i in 0..<y.count where y.storage[i] != 0 { #expect(abs(y.storage[i] / x.storage[i] - 1 / 0.75) < 1e-5) }
      // Gradients large on units 2 and 3.
      var dy = Tensor(shape: [8, 4])
      for n in 0..<8 { for u in 0..<4 { dy.storage[n * 4 + u] = u >= 2 ? 5 : 0.1 } }
      let dx = layer.backward(dy)
      for i in 0..<dx.count { #expect(abs(dx.storage[i] - (y.storage[i] == 0 ? 0 : dy.storage[i] / 0.75)) < 1e-5) }
    }
    layer.epochEnd(0)
    #expect(layer.rates == [0.5, 0.5, 0, 0])
    #expect(layer.forward(x, .evaluation) == x)
  }

  @Test func onlyFullyConnectedSites() {
    #expect(ClusteringDropout.descriptor.validate([:], Site(name: "conv1", shape: [28, 28, 32], stream: 0)) != nil)
    #expect(ClusteringDropout.descriptor.validate([:], Site(name: "hidden1", shape: [128], stream: 0)) == nil)
    #expect(ClusteringDropout.descriptor.validate(["low": .double(0.5), "high": .double(0.2)], Site(name: "h", shape: [4], stream: 0)) != nil)
  }

  /// `weight`: units grouped by the norm of their incoming weights at the epoch's end (stronger rows drop less).
  @Test func weightStatisticGroupsByIncomingWeightNorms() {
    let layer = ClusteringDropout(units: 4, statistic: .weight, grouping: .halves, low: 0.1, high: 0.5)
    let linear = Linear(inFeatures: 2, outFeatures: 4, key: RandomKey(seed: 1))
    // Row norms 1, 5, 2, 10.
    linear.weight.value = Tensor(shape: [4, 2], storage: [1, 0, 3, 4, 0, 2, 6, 8])
    layer.attach(linear)
    #expect(ClusteringDropout.rowNorms(linear.weight.value) == [1, 5, 2, 10])
    layer.epochEnd(0)
    #expect(layer.rates == [0.5, 0.1, 0.5, 0.1])
  }

  /// `weight-gradient`: the mean over the epoch's steps of each row's gradient norm, read after each step.
  @Test func weightGradientStatisticAveragesTheSteps() {
    let layer = ClusteringDropout(units: 4, statistic: .weightGradient, grouping: .halves, low: 0.1, high: 0.5)
    let linear = Linear(inFeatures: 1, outFeatures: 4, key: RandomKey(seed: 1))
    layer.attach(linear)
    // Step 1 favours units 0 and 1, step 2 favours 2 and 3 more strongly: the means rank 2, 3 above 0, 1.
    linear.weight.grad = Tensor(shape: [4, 1], storage: [3, 3, 0, 0])
    layer.afterStep(linear.parameters, training(step: 0))
    linear.weight.grad = Tensor(shape: [4, 1], storage: [0, 0, 4, 5])
    layer.afterStep(linear.parameters, training(step: 1))
    #expect(layer.rates == [0.3, 0.3, 0.3, 0.3])  // unchanged until the epoch ends
    layer.epochEnd(0)
    #expect(layer.rates == [0.5, 0.5, 0.1, 0.1])
  }

  /// The site recorder hands the layer the fully connected layer of its site; a weight statistic at a site that
  /// follows no such layer is a validation error naming the fix.
  @Test func weightStatisticsNeedASiteAfterAFullyConnectedLayer() throws {
    var plugged: ClusteringDropout?
    let model = try ModelRegistry.build(
      ModelRequest(name: "mlp", inputShape: [4, 4, 1], classes: 3, widths: [8, 6], key: RandomKey(seed: 2)) { site in
        guard site.kind == .activation, site.name == "hidden2" else { return nil }
        let layer = ClusteringDropout(units: site.shape[0], statistic: .weight)
        plugged = layer
        return .layer(layer)
      })
    #expect(plugged?.unitLayer === model.weightLayers["hidden2"])
    #expect(model.sites.first { $0.name == "hidden2" && $0.kind == .activation }?.weightSite == "hidden2")
    let message = ClusteringDropout.descriptor.validate(
      ["statistic": .string("weight")], Site(name: "input", shape: [16], stream: 0))
    #expect(message?.contains("does not follow a fully connected layer") == true, "\(message ?? "nil")")
    #expect(
      ClusteringDropout.descriptor.validate(
        ["statistic": .string("weight-gradient")], Site(name: "hidden1", shape: [8], stream: 0, weightSite: "hidden1"))
        == nil)
  }
}
