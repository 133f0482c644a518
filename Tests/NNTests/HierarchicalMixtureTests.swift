import Foundation
import Tensor
import Testing

@testable import NN

/// Drops the left subtree of the listed (sample, node) pairs; scales gates by `scale` at evaluation.
final class FixedGateDrops: TreeGateDropout {
  let drops: Set<[Int]>
  let scale: Float
  init(_ drops: Set<[Int]>, scale: Float = 1) {
    self.drops = drops
    self.scale = scale
  }
  func droppedLeft(samples: Int, nodes: Int, _ context: StepContext) -> [Bool] {
    (0..<(samples * nodes)).map { drops.contains([$0 / nodes, $0 % nodes]) }
  }
  func evaluationGateScale(_ context: StepContext) -> Float { scale }
}

@Suite struct HierarchicalMixtureTests {
  let key = RandomKey(seed: 0x4E3)
  let train = StepContext(mode: .train, key: RandomKey(seed: 1))

  /// A depth-`depth` tree on `features` inputs whose leaf l outputs the one-hot vector e_l: its output is the
  /// vector of leaf weights.
  func leafWeightTree(depth: Int, features: Int = 4) -> HierarchicalMixture {
    let tree = HierarchicalMixture(features: features, outputs: 1 << depth, depth: depth, key: key.fold(depth))
    tree.leaves.weight.value = Tensor(shape: tree.leaves.weight.value.shape)
    let k = 1 << depth
    tree.leaves.bias.value = Tensor(shape: [k * k], storage: (0..<(k * k)).map { $0 / k == $0 % k ? 1 : 0 })
    return tree
  }

  @Test func depthOneIsTheGatedSumOfTwoExperts() {
    let tree = HierarchicalMixture(features: 3, outputs: 2, depth: 1, key: key)
    let x = Tensor.normal([2, 3], key: key.fold(1))
    let y = tree.forward(x, .evaluation)
    let gate = tree.gates.forward(x, .evaluation)
    let leaf = tree.leaves.forward(x, .evaluation)
    for s in 0..<2 {
      let g = 1 / (1 + expf(-gate.storage[s]))
      for j in 0..<2 {
        let expected = g * leaf.storage[s * 4 + j] + (1 - g) * leaf.storage[s * 4 + 2 + j]
        #expect(abs(y.storage[s * 2 + j] - expected) <= 1e-5)
      }
    }
  }

  @Test(arguments: [2, 3, 4])
  func leafWeightsSumToOneWithAndWithoutDrops(depth: Int) {
    let tree = leafWeightTree(depth: depth)
    let x = Tensor.normal([5, 4], key: key.fold(2), scale: 3)
    for dropout in [nil, FixedGateDrops([[0, 0], [1, 1], [1, 2], [3, 0], [3, 2]])] as [FixedGateDrops?] {
      tree.dropout = dropout
      let y = tree.forward(x, train)
      for s in 0..<5 {
        let w = Array(y.storage[(s * tree.leafCount)..<((s + 1) * tree.leafCount)])
        #expect(abs(w.reduce(0, +) - 1) <= 1e-5)
        #expect(w.allSatisfy { $0 >= 0 })
      }
      if dropout != nil {
        // Sample 0 dropped the root's left subtree: the left half of the leaves gets nothing at all.
        #expect(y.storage[0..<(tree.leafCount / 2)].allSatisfy { $0 == 0 })
        // Sample 3 dropped the root's and its right child's left subtrees: all mass on the right half's right half.
        let w3 = Array(y.storage[(3 * tree.leafCount)..<(4 * tree.leafCount)])
        #expect(w3[0..<(3 * tree.leafCount / 4)].allSatisfy { $0 == 0 })
      }
    }
  }

  /// Gates and leaves are smooth (sigmoid, linear): no kinks, the default tolerance.
  @Test(arguments: [false, true])
  func gradients(withDrops: Bool) {
    let tree = HierarchicalMixture(features: 6, outputs: 3, depth: 3, key: key.fold(3))
    tree.dropout = withDrops ? FixedGateDrops([[0, 0], [0, 4], [1, 2], [2, 1]]) : nil
    let r = GradientCheck(inputSamples: 24, parameterSamples: 12).check(
      tree, input: .normal([3, 6], key: key.fold(4)), key: key.fold(5))
    #expect(r.maxError <= 1e-2, "\(r)")
  }

  @Test func aDroppedGateGetsNoGradientFromItsSample() {
    let tree = HierarchicalMixture(features: 4, outputs: 2, depth: 2, key: key.fold(6))
    tree.dropout = FixedGateDrops([[0, 0]])
    let x = Tensor.normal([1, 4], key: key.fold(7))
    _ = tree.forward(x, train)
    for p in tree.parameters { p.zeroGrad() }
    _ = tree.backward(Tensor.normal([1, 2], key: key.fold(8)))
    // The root (gate row 0) and the whole left subtree (gate row 1, leaves 0 and 1) learn nothing from it.
    #expect(tree.gates.weight.grad.storage[0..<8].allSatisfy { $0 == 0 })
    #expect(tree.gates.weight.grad.storage[8..<12].contains { $0 != 0 })
    #expect(tree.leaves.weight.grad.storage[0..<16].allSatisfy { $0 == 0 })
    #expect(tree.leaves.weight.grad.storage[16..<32].contains { $0 != 0 })
  }

  @Test func theModelHasOneGateSiteAndTrains() throws {
    let model = try ModelRegistry.build(
      ModelRequest(name: "hme", inputShape: [8, 8, 1], classes: 3, blocks: 4, key: RandomKey(seed: 5)))
    #expect(model.sites.filter { $0.kind == .gates }.map(\.shape) == [[15]])
    #expect(model.network.forward(.normal([2, 8, 8, 1], key: key), .evaluation).shape == [2, 3])
  }
}
