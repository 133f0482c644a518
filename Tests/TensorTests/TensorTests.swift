import Testing

@testable import Tensor

@Suite struct TensorTests {
  /// A [4, 2, 3] tensor whose value at (i, j, k) is 100i + 10j + k.
  let t: Tensor = {
    var values: [Float] = []
    for i in 0..<4 { for j in 0..<2 { for k in 0..<3 { values.append(Float(100 * i + 10 * j + k)) } } }
    return Tensor(shape: [4, 2, 3], storage: values)
  }()

  @Test func shapeAccessors() {
    #expect(t.count == 24 && t.rank == 3 && t.rows == 4 && t.rowLength == 6)
    #expect(Tensor(shape: [0, 5]).rowLength == 0)
    #expect(Tensor(shape: []).count == 1 && Tensor(shape: []).rows == 1)
    #expect(Tensor.zeros([2, 3]) == Tensor(shape: [2, 3], storage: [Float](repeating: 0, count: 6)))
    #expect(Tensor(shape: [2], repeating: 7).storage == [7, 7])
  }

  @Test func slice() {
    let s = t.slice(rows: 1..<3)
    #expect(s.shape == [2, 2, 3])
    #expect(s.storage == Array(t.storage[6..<18]))
    #expect(t.slice(rows: 4..<4).shape == [0, 2, 3])
    #expect(t.slice(rows: 0..<4) == t)
  }

  @Test func gather() {
    let g = t.gather(rows: [3, 0, 3, 1])
    #expect(g.shape == [4, 2, 3])
    for (j, i) in [3, 0, 3, 1].enumerated() {
      let row: [Float] = Array(g.storage[(j * 6)..<(j * 6 + 6)])
      #expect(row == Array(t.storage[(i * 6)..<(i * 6 + 6)]))
    }
    #expect(t.gather(rows: [Int]()).shape == [0, 2, 3])
    #expect(t.gather(rows: [9, 0, 1][1...]).storage == Array(t.storage[0..<12]))
  }

  @Test func reshapeKeepsValues() {
    let r = t.reshaped([4, 6])
    #expect(r.shape == [4, 6] && r.storage == t.storage)
  }

  @Test func initializingWith() {
    let x = Tensor(shape: [2, 2]) { buffer in for i in 0..<buffer.count { buffer[i] = Float(i * i) } }
    #expect(x.storage == [0, 1, 4, 9])
  }

  @Test func sumAndFiniteness() {
    #expect(t.sum == (0..<24).reduce(0.0) { $0 + Double(t.storage[$1]) })
    #expect(t.allFinite)
    var bad = t
    bad.storage[5] = .nan
    #expect(!bad.allFinite)
    bad.storage[5] = -.infinity
    #expect(!bad.allFinite)
  }
}
