import NN
import Tensor
import Testing

@testable import Regularizers

/// The contract every registry entry keeps, run over the whole registry: a new method is covered the moment its
/// registry line exists. Each method at its kind's representative site with default parameters.
@Suite struct ContractTests {
  static let methods = RegularizerRegistry.all.filter { $0.name != "none" }.map(\.name)

  static func descriptor(_ name: String) -> RegularizerDescriptor { RegularizerRegistry.descriptor(name)! }

  static func site(_ d: RegularizerDescriptor, stream: UInt64 = 7) -> Site {
    var site = Conformance.representativeSite(d.plugPoint)
    site.stream = stream
    return site
  }

  /// A probe input for the plug's kind: a batch at activation sites, the matrix at weight sites, nil for branches.
  static func input(_ site: Site, seed: UInt64 = 3) -> Tensor {
    site.kind == .weights ? normalTensor(site.shape, seed: seed) : normalTensor([4] + site.shape, seed: seed, offset: 1)
  }

  /// What the plug does to `x` in `context`: activation output, effective weights, or branch factors.
  static func apply(_ plug: Plug, _ x: Tensor, _ context: StepContext) -> [Float] {
    switch plug {
    case .hook(let hook):
      // The training loop calls hooks in training only; there, what the batch transform does to the images.
      guard context.mode == .train else { return x.storage }
      let labels = (0..<x.shape[0]).map { Int32($0 % 2) }
      // As the loop does before the first step (a teacher is trained there: a few steps on the probe batch).
      hook.prepare(HookSetup(train: TrainingData(images: x, targets: .labels(labels)), artifacts: MemoryArtifacts()))
      let batch = Batch(images: x, targets: .labels(labels), indices: Array(0..<x.shape[0]))
      return hook.transform(batch, context).images.storage
    case .layer(let layer): return layer.forward(x, context).storage
    case .weights(let mask): return (mask.effectiveWeights(x, context) ?? x).storage
    case .gate(let gate):
      switch gate.decide(batch: 4, context) {
      case .keep(let f): return Array(repeating: f, count: 4)
      case .drop: return Array(repeating: 0, count: 4)
      case .perSample(let f): return f
      }
    case .router(let policy):
      // One factor per sample of the step: 1 routed, 0 when the router (or the layer) is skipped.
      return Array(repeating: policy.decide(context) == .route ? 1 : 0, count: 4)
    case .treeGates(let dropout):
      // One factor per (sample, node) on its gate: 0 where the left subtree is dropped; the scale at evaluation.
      let nodes = x.count / 4
      guard context.mode == .train else { return Array(repeating: dropout.evaluationGateScale(context), count: 4 * nodes) }
      let drops = dropout.droppedLeft(samples: 4, nodes: nodes, context)
      return drops.isEmpty ? Array(repeating: 1, count: 4 * nodes) : drops.map { $0 ? 0 : 1 }
    }
  }

  /// The plug's output when it does nothing: the input itself, or all-one factors (branches, routing, gates).
  static func unchanged(_ site: Site, _ x: Tensor) -> [Float] {
    switch site.kind {
    case .branch, .routing: Array(repeating: 1, count: 4)
    case .gates: Array(repeating: 1, count: x.count)
    default: x.storage
    }
  }

  /// Step `step` counted from far past any step-counted warm-up (CorrDrop's ramp), so every method acts at its
  /// target strength.
  static func trainingStep(_ step: Int) -> StepContext { training(step: 1_000_000 + step) }

  static func make(_ d: RegularizerDescriptor, _ site: Site, _ params: [String: ConfigValue] = [:]) -> Plug {
    d.make(params, site)
  }

  @Test(arguments: methods) func defaultsAreValidAndPlugTheRightKind(_ name: String) {
    let d = Self.descriptor(name)
    let site = Self.site(d)
    #expect(d.validate([:], site) == nil)
    switch (Self.make(d, site), site.kind) {
    case (.layer, .activation), (.weights, .weights), (.gate, .branch), (.hook, .training), (.router, .routing),
      (.treeGates, .gates):
      break
    default: Issue.record("\(name) made the wrong kind of plug for a \(site.kind) site")
    }
  }

  @Test(arguments: methods) func shapeIsKept(_ name: String) {
    let d = Self.descriptor(name)
    let site = Self.site(d)
    let x = Self.input(site)
    let count = Self.unchanged(site, x).count
    #expect(Self.apply(Self.make(d, site), x, Self.trainingStep(1)).count == count)
    #expect(Self.apply(Self.make(d, site), x, .evaluation).count == count)
  }

  /// The declared evaluation rule holds: the identity, or the method's own rule (its gate expectations).
  @Test(arguments: methods) func evaluationRuleAsDeclared(_ name: String) {
    let d = Self.descriptor(name)
    let site = Self.site(d)
    let x = Self.input(site)
    let evaluated = Self.apply(Self.make(d, site), x, .evaluation)
    let expectations = d.expectations(try! d.resolve([:]).get(), site)
    if d.evaluationRule == .identity {
      #expect(expectations.contains(.evaluationIdentity), "\(name) declares an identity evaluation; its gate must test it")
      #expect(evaluated == Self.unchanged(site, x))
    } else {
      #expect(
        expectations.contains { if case .evaluationScale = $0 { true } else { false } }
          || expectations.contains(.evaluationIdentity), "\(name) declares its own evaluation rule but no expectation of it")
    }
  }

  @Test(arguments: methods) func zeroStrengthIsTheIdentity(_ name: String) throws {
    let d = Self.descriptor(name)
    guard let identity = d.identityParameters else { return }
    let site = Self.site(d)
    #expect(d.validate(identity, site) == nil)
    let x = Self.input(site)
    for step in 0..<5 {
      let y = Self.apply(Self.make(d, site, identity), x, Self.trainingStep(step))
      #expect(y == Self.unchanged(site, x), "\(name) step \(step)")
    }
  }

  @Test(arguments: methods) func sameKeySameDrawOtherSiteOrStepAnother(_ name: String) {
    let d = Self.descriptor(name)
    let site = Self.site(d)
    let x = Self.input(site)
    let a = Self.apply(Self.make(d, site), x, Self.trainingStep(3))
    #expect(a == Self.apply(Self.make(d, site), x, Self.trainingStep(3)), "\(name): same key, same draw")
    // Randomised methods (those that declare a drop fraction) draw anew per step and per site stream.
    let randomised = d.expectations(try! d.resolve([:]).get(), site).contains { if case .dropFraction = $0 { true } else { false } }
    guard randomised else { return }
    func differs(_ other: (Int) -> [Float]) -> Bool { (0..<8).contains { other($0) != Self.apply(Self.make(d, site), x, Self.trainingStep(10 + $0)) } }
    #expect(differs { Self.apply(Self.make(d, site), x, Self.trainingStep(11 + $0)) }, "\(name): steps share draws")
    let elsewhere = Self.site(d, stream: 8)
    #expect(differs { Self.apply(Self.make(d, elsewhere), x, Self.trainingStep(10 + $0)) }, "\(name): sites share draws")
  }

  /// Backward agrees with forward: for activation plugs, the gradient of ⟨r, y(x)⟩ against central differences
  /// with the step's key fixed (so the same mask is drawn on both sides), at sampled coordinates.
  @Test(arguments: methods) func backwardMatchesFiniteDifferences(_ name: String) {
    let d = Self.descriptor(name)
    let site = Self.site(d)
    guard site.kind == .activation, case .layer(let layer) = Self.make(d, site) else { return }
    let x = normalTensor([2] + site.shape, seed: 11, offset: 0.5)
    let r = normalTensor(x.shape, seed: 12)
    let context = Self.trainingStep(2)
    func f(_ v: Tensor) -> Double {
      let y = layer.forward(v, context)
      return zip(y.storage, r.storage).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
    _ = layer.forward(x, context)
    let g = layer.backward(r)
    let h: Float = 1e-2
    var worst = 0.0
    for i in stride(from: 0, to: x.count, by: max(1, x.count / 40)) {
      var plus = x
      var minus = x
      plus.storage[i] += h
      minus.storage[i] -= h
      let numeric = (f(plus) - f(minus)) / Double(plus.storage[i] - minus.storage[i])
      worst = max(worst, abs(numeric - Double(g.storage[i])) / max(1, abs(numeric)))
    }
    #expect(worst < 1e-2, "\(name): backward differs from finite differences by \(worst)")
  }

  /// Every method's statistical self-test passes with its defaults at its representative site.
  @Test(arguments: methods) func passesItsGate(_ name: String) {
    let d = Self.descriptor(name)
    let results = Conformance.check(d, [:], at: Self.site(d))
    #expect(!results.isEmpty, "\(name) declares no testable property")
    #expect(Conformance.failures(results) == nil, "\(name): \(Conformance.failures(results) ?? "")")
  }

  /// Every method names the file that implements it, so its runs are keyed by that file alone.
  @Test(arguments: methods) func sourceFileIsItsMethodFile(_ name: String) {
    let file = Self.descriptor(name).sourceFile
    #expect(file.contains("/Regularizers/Methods/") && file.hasSuffix(".swift"), "\(file)")
  }

  /// A layer that declares its evaluation row-wise (`RowwiseEvaluation`: the evaluation loop then forwards it in
  /// chunks) gives every row the same bits in a batch of one as in a batch of six; a gate that declares its
  /// evaluation constant keeps every branch with one factor whatever the batch.
  @Test(arguments: methods) func rowwiseEvaluationAsDeclared(_ name: String) {
    let d = Self.descriptor(name)
    let site = Self.site(d)
    switch Self.make(d, site) {
    case .layer(let layer):
      guard let rowwise = layer as? RowwiseEvaluation, rowwise.evaluatesRowwise else { return }
      let x = normalTensor([6] + site.shape, seed: 5, offset: 1)
      let whole = layer.forward(x, .evaluation).storage.map(\.bitPattern)
      let pieces = [0..<1, 1..<6].flatMap { layer.forward(x.slice(rows: $0), .evaluation).storage.map(\.bitPattern) }
      #expect(pieces == whole, "\(name) declares a row-wise evaluation but a row's output depends on its batch")
    case .gate(let gate):
      guard gate.constantAtEvaluation else { return }
      let one = gate.decide(batch: 1, .evaluation)
      #expect(one == gate.decide(batch: 6, .evaluation))
      if case .keep = one {} else { Issue.record("\(name) declares a constant evaluation but decided \(one)") }
    default:
      return
    }
  }
}
