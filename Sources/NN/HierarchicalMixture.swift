import Tensor

/// A hierarchical mixture of experts (Jordan & Jacobs 1994) in its soft-decision-tree form (İrsoy, Yıldız &
/// Alpaydın 2012): a full binary tree of `depth` levels of gating nodes over 2^depth linear expert leaves, on
/// `[N, F]` inputs.
///
/// Node m (heap order: children 2m + 1 and 2m + 2; positions ≥ nodes are leaves) has the gate
/// g_m(x) = σ(v_m·x + c_m), the mass it sends to its left subtree; its response is
/// y_m(x) = g_m(x)·y_left(x) + (1 − g_m(x))·y_right(x), a leaf's is its expert W_l·x + b_l (`outputs` values: class
/// logits for classification, the prediction for regression). The tree's output is the root's response, so each
/// leaf is weighted by the product of the gates on its path and those weights sum to one.
///
/// Gate dropout (the `gates` site, HME dropout): in training, where `dropout` drops node m's left subtree for a
/// sample, g_m is 0 for that sample (all mass to the right subtree; the gate then gets no gradient from it); at
/// evaluation every gate is multiplied by `evaluationGateScale`.
public final class HierarchicalMixture: Layer {
  public let depth: Int
  public let outputs: Int
  public let gates: Linear
  public let leaves: Linear
  public var dropout: TreeGateDropout?

  private var gateValues = Tensor(shape: [0])
  private var dropped: [Bool] = []
  /// Every node's response `[N, nodes, outputs]` and every leaf's `[N, leaves·outputs]` of the last training forward.
  private var responses = Tensor(shape: [0])
  private var leafResponses = Tensor(shape: [0])

  public var nodes: Int { (1 << depth) - 1 }
  public var leafCount: Int { 1 << depth }

  public init(features: Int, outputs: Int, depth: Int, key: RandomKey) {
    precondition(depth >= 1, "HierarchicalMixture: depth \(depth) < 1")
    self.depth = depth
    self.outputs = outputs
    gates = Linear(inFeatures: features, outFeatures: (1 << depth) - 1, key: key.fold(0), gain: 1)
    leaves = Linear(inFeatures: features, outFeatures: (1 << depth) * outputs, key: key.fold(1), gain: 1)
  }

  /// Whether the layer computes the gradient with respect to its input (false when its input is data).
  public var computesInputGradient: Bool {
    get { gates.computesInputGradient }
    set {
      gates.computesInputGradient = newValue
      leaves.computesInputGradient = newValue
    }
  }

  public func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
    let n = x.rows
    let (nodes, k) = (self.nodes, outputs)
    var g = gates.forward(x, context)
    let leafOut = leaves.forward(x, context)
    var drops: [Bool] = []
    if context.mode == .train, let dropout { drops = dropout.droppedLeft(samples: n, nodes: nodes, context) }
    let scale: Float = context.mode == .eval ? (dropout?.evaluationGateScale(context) ?? 1) : 1
    g.withUnsafeMutableBufferPointer { v in
      for i in v.indices {
        v[i] = drops.isEmpty || !drops[i] ? scale / (1 + expf32(-v[i])) : 0
      }
    }
    var responses = Tensor(shape: [n, nodes, k])
    var y = Tensor(shape: [n, k])
    responses.withUnsafeMutableBufferPointer { r in
      g.withUnsafeBufferPointer { gv in
        leafOut.withUnsafeBufferPointer { leaf in
          for s in 0..<n {
            /// The response of child position `c` of sample s.
            func child(_ c: Int, _ j: Int) -> Float {
              c >= nodes ? leaf[(s * leafCount + c - nodes) * k + j] : r[(s * nodes + c) * k + j]
            }
            for m in stride(from: nodes - 1, through: 0, by: -1) {
              let gm = gv[s * nodes + m]
              for j in 0..<k { r[(s * nodes + m) * k + j] = gm * child(2 * m + 1, j) + (1 - gm) * child(2 * m + 2, j) }
            }
          }
        }
        y.withUnsafeMutableBufferPointer { out in
          for s in 0..<n { for j in 0..<k { out[s * k + j] = r[s * nodes * k + j] } }
        }
      }
    }
    if context.mode == .train {
      gateValues = g
      dropped = drops
      self.responses = responses
      leafResponses = leafOut
    }
    return y
  }

  public func backward(_ dy: Tensor) -> Tensor {
    let n = dy.rows
    let (nodes, k) = (self.nodes, outputs)
    // Top down: the gradient reaching each node's response, then its gate's and its children's.
    var dNode = [Float](repeating: 0, count: nodes * k)
    var dGatePre = Tensor(shape: [n, nodes])
    var dLeaf = Tensor(shape: [n, leafCount * k])
    dy.withUnsafeBufferPointer { g in
      gateValues.withUnsafeBufferPointer { gv in
        responses.withUnsafeBufferPointer { r in
          leafResponses.withUnsafeBufferPointer { leaf in
            dGatePre.withUnsafeMutableBufferPointer { dg in
              dLeaf.withUnsafeMutableBufferPointer { dl in
                for s in 0..<n {
                  for j in 0..<k { dNode[j] = g[s * k + j] }
                  for m in 0..<nodes {
                    let gm = gv[s * nodes + m]
                    var dGate: Float = 0
                    for (c, weight) in [(2 * m + 1, gm), (2 * m + 2, 1 - gm)] {
                      for j in 0..<k {
                        let d = weight * dNode[m * k + j]
                        let response: Float
                        if c >= nodes {
                          dl[(s * leafCount + c - nodes) * k + j] = d
                          response = leaf[(s * leafCount + c - nodes) * k + j]
                        } else {
                          dNode[c * k + j] = d
                          response = r[(s * nodes + c) * k + j]
                        }
                        dGate += (c == 2 * m + 1 ? 1 : -1) * dNode[m * k + j] * response
                      }
                    }
                    let isDropped = !dropped.isEmpty && dropped[s * nodes + m]
                    dg[s * nodes + m] = isDropped ? 0 : dGate * gm * (1 - gm)
                  }
                }
              }
            }
          }
        }
      }
    }
    let dxGates = gates.backward(dGatePre)
    var dx = leaves.backward(dLeaf)
    guard dx.count > 0 else { return dx }
    dx.withUnsafeMutableBufferPointer { out in dxGates.withUnsafeBufferPointer { Elementwise.axpy(1, $0, out) } }
    return dx
  }

  public var parameters: [Parameter] { gates.parameters + leaves.parameters }
}
