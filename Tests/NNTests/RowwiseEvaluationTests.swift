import Tensor
import Testing

@testable import NN

/// Chunked evaluation (`EvaluationForward`): the layers that declare themselves row-wise are, bit for bit, and the
/// chunked forward gives the same bits as one forward of the whole batch.
@Suite struct RowwiseEvaluationTests {
  let key = RandomKey(seed: 77)

  static func bits(_ t: Tensor) -> [UInt32] { t.storage.map(\.bitPattern) }

  /// Rows of `x` forwarded `chunk` at a time and concatenated.
  static func chunked(_ layer: Layer, _ x: Tensor, chunk: Int) -> Tensor {
    EvaluationForward.concatenateRows(
      stride(from: 0, to: x.rows, by: chunk).map {
        layer.forward(x.slice(rows: $0..<min(x.rows, $0 + chunk)), .evaluation)
      })
  }

  /// oneDNN's kernels give each image the same bits in any minibatch: stems, same-size, strided and 1×1 convolutions.
  @Test(arguments: [(1, 16, 3, 1, 1), (16, 16, 3, 1, 1), (16, 32, 3, 2, 1), (16, 32, 1, 2, 0), (32, 64, 3, 1, 1)])
  func convolutionsAreBatchInvariant(_ g: (Int, Int, Int, Int, Int)) {
    let (cin, cout, k, s, p) = g
    let conv = Conv2d(inChannels: cin, outChannels: cout, kernel: k, stride: s, padding: p, key: key.fold(cin * cout))
    let x = Tensor.normal([300, 14, 14, cin], key: key.fold(3))
    let whole = Self.bits(conv.forward(x, .evaluation))
    for chunk in [1, 7, 128] { #expect(Self.bits(Self.chunked(conv, x, chunk: chunk)) == whole, "chunks of \(chunk)") }
  }

  /// The models the specs evaluate at batch 1,000: the chunked forward equals the whole-batch forward bit for bit,
  /// with the BatchNorms' running statistics moved off their initial values by a few training forwards.
  @Test(arguments: ["resnet", "cnn"]) func modelsEvaluateChunkedWithTheSameBits(_ name: String) throws {
    let model = try ModelRegistry.build(
      ModelRequest(name: name, inputShape: [28, 28, 1], classes: 10, blocks: name == "resnet" ? 1 : nil, key: key))
    let sequential = try #require(model.network as? Sequential)
    for s in 0..<3 {
      _ = sequential.forward(Tensor.normal([32, 28, 28, 1], key: key.fold(10 + s)), StepContext(mode: .train, key: key))
    }
    // Everything up to the first Linear is row-wise: the ResNet's stem, blocks and pooling; the cnn's convolutions,
    // pools and Flatten.
    let firstLinear = try #require(sequential.layers.firstIndex { $0 is Linear })
    #expect(sequential.rowwisePrefix == firstLinear)
    let x = Tensor.normal([300, 28, 28, 1], key: key.fold(4))
    #expect(Self.bits(EvaluationForward.forward(sequential, x, .evaluation)) == Self.bits(sequential.forward(x, .evaluation)))
  }

  /// Records the row counts of the batches it sees; row-wise or not as told; with a parameter or without.
  final class Spy: RowwiseEvaluation {
    var rows: [Int] = []
    let evaluatesRowwise: Bool
    let parameters: [Parameter]
    init(rowwise: Bool, weighted: Bool = true) {
      evaluatesRowwise = rowwise
      parameters = weighted ? [Parameter(name: "spy", value: Tensor(shape: [1]))] : []
    }
    func forward(_ x: Tensor, _ context: StepContext) -> Tensor {
      rows.append(x.rows)
      return x
    }
    func backward(_ dy: Tensor) -> Tensor { dy }
  }

  @Test func onlyTheRowwisePrefixRunsInChunksAndOnlyInStandardEvaluation() {
    let (first, second, after) = (Spy(rowwise: true), Spy(rowwise: true), Spy(rowwise: true))
    let blocker = Spy(rowwise: false)
    let net = Sequential([first, second, blocker, after])
    #expect(net.rowwisePrefix == 2 && !net.evaluatesRowwise)
    let x = Tensor.normal([300, 4], key: key)
    let y = EvaluationForward.forward(net, x, .evaluation)
    #expect(y == x)
    #expect(first.rows == [128, 128, 44] && second.rows == [128, 128, 44])
    #expect(blocker.rows == [300] && after.rows == [300])
    // An evaluation axis's settings, a validation probe, training, or a batch of one chunk: one forward.
    for spy in [first, blocker] { spy.rows = [] }
    _ = EvaluationForward.forward(net, x, .evaluation(EvaluationSettings(width: 0.5)))
    _ = EvaluationForward.forward(net, x, .evaluation(EvaluationSettings(validationProbe: true)))
    _ = EvaluationForward.forward(net, x, StepContext(mode: .train, key: key))
    _ = EvaluationForward.forward(net, x.slice(rows: 0..<128), .evaluation)
    #expect(first.rows == [300, 300, 300, 128] && blocker.rows == first.rows)
    // A network whose first layer is not row-wise runs whole.
    let blocked = Sequential([Spy(rowwise: false), first])
    first.rows = []
    _ = EvaluationForward.forward(blocked, x, .evaluation)
    #expect(first.rows == [300])
    // Nor does a prefix without parameters (a regularizer at an MLP's input, the identity at evaluation).
    let passThrough = Spy(rowwise: true, weighted: false)
    _ = EvaluationForward.forward(Sequential([passThrough, blocker]), x, .evaluation)
    #expect(passThrough.rows == [300])
  }

  @Test func concatenatingRowsKeepsOrderAndShape() {
    let a = Tensor(shape: [1, 2], storage: [1, 2])
    let b = Tensor(shape: [2, 2], storage: [3, 4, 5, 6])
    #expect(EvaluationForward.concatenateRows([a, b]) == Tensor(shape: [3, 2], storage: [1, 2, 3, 4, 5, 6]))
  }
}
