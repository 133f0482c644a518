import Tensor

public final class ReLU: Layer {
  private var output = Tensor(shape: [0])

  public init() {}

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    let y = Tensor(shape: x.shape) { out in x.withUnsafeBufferPointer { Elementwise.relu($0, out) } }
    if context.mode == .train { output = y }
    return y
  }

  public func backward(_ dy: Tensor) -> Tensor {
    Tensor(shape: dy.shape) { out in
      output.withUnsafeBufferPointer { y in
        dy.withUnsafeBufferPointer { g in Elementwise.reluBackward(output: y, g, out) }
      }
    }
  }
}

/// `[N, …]` → `[N, F]`. NHWC order, so features are (h, w, c) with c fastest.
public final class Flatten: Layer {
  private var shape: [Int] = []

  public init() {}

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    shape = x.shape
    return x.reshaped([x.rows, x.rowLength])
  }

  /// An empty gradient (from a first layer that skips its input gradient) passes through as is.
  public func backward(_ dy: Tensor) -> Tensor { dy.count == 0 ? dy : dy.reshaped(shape) }
}

/// The identity, used where a site has nothing plugged in and as the `none` regularizer.
public final class Identity: Layer {
  public init() {}
  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor { x }
  public func backward(_ dy: Tensor) -> Tensor { dy }
}
