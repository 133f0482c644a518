import NN
import Tensor

/// Srivastava, Hinton, Krizhevsky, Sutskever & Salakhutdinov, "Dropout: A Simple Way to Prevent Neural Networks
/// from Overfitting", JMLR 2014, §5.1: after every optimiser step, each hidden unit's incoming weight vector is
/// projected back onto the ball of radius c (rescaled to norm c when it is longer; untouched otherwise). The paper
/// pairs it with dropout (c typically 3–4) so that large learning rates cannot blow the weights up.
///
/// A training-loop method (`plugsInto: .training`): it acts on the weights after each step, never on a tensor, so
/// it is listed beside another regularizer — `regularizer: {name: dropout, rate: 0.5, with: [{name: max-norm,
/// c: 3}]}` — or alone. The projection is the same one `train.max_norm` applies (`NN.MaxNorm`: Linear weight
/// matrices, never biases or convolutions). Deterministic; evaluation is untouched. Taxonomy: optimization (a
/// constraint on the optimisation, Kukačka et al.).
public final class MaxNormConstraint: TrainingHook {
  public let c: Float

  public init(c: Float) {
    precondition(c > 0, "max-norm: c must be positive, got \(c)")
    self.c = c
  }

  public func afterStep(_ parameters: [Parameter], _ context: StepContext) {
    MaxNorm.apply(parameters, c: c)
  }
}

extension MaxNormConstraint {
  public static let descriptor = RegularizerDescriptor(
    name: "max-norm", taxonomy: .optimization, traits: Traits(stochastic: false, dependsOn: .weights),
    summary: "Projects every unit's incoming weight vector back to L2 norm ≤ c after each optimiser step.",
    citation: "Srivastava et al., Dropout, JMLR 2014, §5.1",
    parameters: [
      ParameterDescription(
        name: "c", kind: .double(min: 0, max: 1e6, minInclusive: false, maxInclusive: true), defaultValue: .double(3),
        doc: "radius of the ball each unit's incoming weights are kept in (the paper uses 3–4).")
    ],
    plugsInto: .training,
    expectations: { params, _ in [.unitNormAtMost(params.double("c")), .evaluationIdentity] },
    build: { params, _ in .hook(MaxNormConstraint(c: Float(params.double("c")))) })
}
