/// How a model's weights are drawn before training (`model: {init: …}` in a spec). An incidental setting that can
/// decide a contrast: on the p-sweep's Fashion-MNIST proxy an independent PyTorch run gave dropout 0.5 − none
/// = +0.78 pt under PyTorch's default and +0.08 pt under He's (issue #26), so every page names the scheme its runs
/// used and a spec may run the other as a robustness axis.
public enum Initialization: String, Codable, Sendable, CaseIterable {
  /// This engine's default: normal weights with std √(2 / fan-in) for layers followed by a ReLU (He et al. 2015),
  /// √(1 / fan-in) for a network's logit layer (LeCun), zero biases; BatchNorm scale 1 and shift 0.
  case he
  /// PyTorch's default for `nn.Linear` and `nn.Conv2d` (`kaiming_uniform_(a=√5)`): weights and biases uniform on
  /// ±1/√fan-in; BatchNorm scale 1 and shift 0.
  case pytorch

  /// The spec value that changes nothing (and is left out of a run's tree, so keys made before the setting existed
  /// stand).
  public static let standard = Initialization.he

  /// How a page names the scheme.
  public var title: String {
    switch self {
    case .he: "He normal (logit layer LeCun normal), zero biases"
    case .pytorch: "PyTorch's default: weights and biases uniform on ±1/√fan-in"
    }
  }
}
