import Tensor
import Testing

@testable import NN

@Suite struct OptimizersTests {
  func parameter(_ values: [Float], unitWeights: Bool = false) -> Parameter {
    Parameter(name: "p", value: Tensor(shape: [values.count], storage: values), isUnitWeights: unitWeights)
  }

  /// Sets the gradient as a training step would (the trainer zeroes and re-accumulates it every step).
  func setGradient(_ p: Parameter, _ g: [Float]) { p.grad = Tensor(shape: [g.count], storage: g) }

  func expectClose(_ actual: Tensor, _ expected: [Double], tolerance: Double = 1e-6) {
    for (a, e) in zip(actual.storage, expected) { #expect(abs(Double(a) - e) <= tolerance, "\(a) vs \(e)") }
  }

  // w = (1, −2), g = (0.5, 0.25), lr 0.1, μ 0.9, λ 0.01. PyTorch: g' = g + λw = (0.51, 0.23); v = g' on the first
  // step; w ← w − lr·v = (0.949, −2.023). Second step, same g: g' = (0.50949, 0.22977), v = 0.9·(0.51, 0.23) + g'
  // = (0.96849, 0.43677), w = (0.852151, −2.066677). Tolerance 1e-6.
  @Test func sgdMomentumWithWeightDecay() {
    let p = parameter([1, -2])
    let sgd = SGD(momentum: 0.9, weightDecay: 0.01)
    setGradient(p, [0.5, 0.25])
    sgd.step([p], lr: 0.1)
    expectClose(p.value, [0.949, -2.023])
    setGradient(p, [0.5, 0.25])
    sgd.step([p], lr: 0.1)
    expectClose(p.value, [0.852151, -2.066677])
  }

  // Nesterov: w ← w − lr·(g' + μv). Step 1: v = g' = (0.51, 0.23), w = (1, −2) − 0.1·1.9·g' = (0.9031, −2.0437).
  // Step 2 with g = (0, 0): g' = λw = (0.009031, −0.020437); v = 0.9·(0.51, 0.23) + g' = (0.468031, 0.186563);
  // w −= 0.1·(g' + 0.9·v) = (0.9031 − 0.04302589, −2.0437 − 0.01474697) = (0.86007411, −2.05844697).
  @Test func sgdNesterov() {
    let p = parameter([1, -2])
    let sgd = SGD(momentum: 0.9, nesterov: true, weightDecay: 0.01)
    setGradient(p, [0.5, 0.25])
    sgd.step([p], lr: 0.1)
    expectClose(p.value, [0.9031, -2.0437])
    setGradient(p, [0, 0])
    sgd.step([p], lr: 0.1)
    expectClose(p.value, [0.86007411, -2.05844697])
  }

  // Without momentum or decay SGD is w ← w − lr·g, and keeps no state between steps.
  @Test func plainSGD() {
    let p = parameter([1, -2])
    let sgd = SGD(momentum: 0)
    setGradient(p, [0.5, 0.25])
    sgd.step([p], lr: 0.1)
    expectClose(p.value, [0.95, -2.025])
    setGradient(p, [0.5, 0.25])
    sgd.step([p], lr: 0.1)
    expectClose(p.value, [0.9, -2.05])
  }

  @Test func sgdKeepsOneVelocityPerParameter() {
    let a = parameter([0])
    let b = parameter([0])
    let sgd = SGD(momentum: 0.5)
    setGradient(a, [1])
    setGradient(b, [0])
    sgd.step([a, b], lr: 1)
    setGradient(a, [0])
    sgd.step([a, b], lr: 1)
    // a: v = 1 then 0.5 → w = −1.5; b never had a gradient.
    expectClose(a.value, [-1.5])
    expectClose(b.value, [0])
  }

  // Adam, lr 0.1, β = (0.9, 0.999), ε = 1e-8, w = (1, −2). Step 1, g = (0.5, 0.25): m̂ = g, v̂ = g², so
  // w = (0.9, −2.1). Step 2, g = (−0.1, 0.4): m = (0.035, 0.0625), v = (0.00025975, 0.0002224375), m̂ = m/0.19,
  // v̂ = v/0.001999, w = (0.8488973957, −2.1986117759). Tolerance 1e-6.
  @Test func adamTwoSteps() {
    let p = parameter([1, -2])
    let adam = Adam()
    setGradient(p, [0.5, 0.25])
    adam.step([p], lr: 0.1)
    expectClose(p.value, [0.9, -2.1])
    setGradient(p, [-0.1, 0.4])
    adam.step([p], lr: 0.1)
    expectClose(p.value, [0.8488973957, -2.1986117759])
  }

  // With λ = 0.1 the decayed gradient g + λw = (0.15, −0.05) flips the sign of the second step: w = (0.9, −0.9).
  @Test func adamWeightDecay() {
    let p = parameter([1, -1])
    setGradient(p, [0.05, 0.05])
    Adam(weightDecay: 0.1).step([p], lr: 0.1)
    expectClose(p.value, [0.9, -0.9])
  }

  // Rows of unit weights with norm > c are scaled to norm c; shorter rows and non-unit parameters are untouched.
  @Test func maxNormClipsLongRows() {
    let w = Parameter(
      name: "w", value: Tensor(shape: [3, 2], storage: [3, 4, 0.6, 0.8, 0, -2]), isUnitWeights: true)
    let bias = parameter([30, 40])
    MaxNorm.apply([w, bias], c: 2)
    expectClose(w.value, [1.2, 1.6, 0.6, 0.8, 0, -2])
    #expect(bias.value.storage == [30, 40])
  }

  @Test func constantSchedule() {
    for step in [0, 5, 99, 100] {
      #expect(LearningRateSchedule.constant.rate(base: 0.1, step: step, totalSteps: 100) == 0.1)
    }
    // Linear warm-up over 5 steps reaches the base rate on the fifth.
    let warm = (0..<7).map { LearningRateSchedule.constant.rate(base: 0.1, step: $0, totalSteps: 100, warmupSteps: 5) }
    for (s, expected) in zip(warm, [0.02, 0.04, 0.06, 0.08, 0.1, 0.1, 0.1]) { #expect(abs(s - expected) <= 1e-12) }
  }

  @Test func stepSchedule() {
    let schedule = LearningRateSchedule.step(milestones: [0.5, 0.75], gamma: 0.1)
    let rates = [0, 49, 50, 74, 75, 99].map { schedule.rate(base: 1, step: $0, totalSteps: 100) }
    for (r, expected) in zip(rates, [1, 1, 0.1, 0.1, 0.01, 0.01]) { #expect(abs(r - expected) <= 1e-12) }
  }

  @Test func cosineSchedule() {
    let rate = { (step: Int, warmup: Int) in
      LearningRateSchedule.cosine.rate(base: 0.2, step: step, totalSteps: 100, warmupSteps: warmup)
    }
    #expect(abs(rate(0, 0) - 0.2) <= 1e-12)
    #expect(abs(rate(50, 0) - 0.1) <= 1e-12)
    #expect(abs(rate(25, 0) - 0.1 * (1 + 0.5.squareRoot())) <= 1e-12)
    #expect(abs(rate(100, 0)) <= 1e-12)
    // Warm-up over 10 steps, then the cosine runs over the remaining 90.
    #expect(abs(rate(0, 10) - 0.02) <= 1e-12)
    #expect(abs(rate(9, 10) - 0.2) <= 1e-12)
    #expect(abs(rate(10, 10) - 0.2) <= 1e-12)
    #expect(abs(rate(55, 10) - 0.1) <= 1e-12)
    let decreasing = (10...100).map { rate($0, 10) }
    #expect(zip(decreasing, decreasing.dropFirst()).allSatisfy { $0 >= $1 })
  }
}
