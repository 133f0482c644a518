import Testing

@testable import Datasets

@Suite struct IDXTests {
  func bigEndian(_ value: UInt32) -> [UInt8] {
    [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: value >> UInt32($0)) }
  }

  @Test func parsesHandcraftedImages() throws {
    // Two 2×3 images with pixel values 0…11.
    let file = bigEndian(0x803) + bigEndian(2) + bigEndian(2) + bigEndian(3) + (0..<12).map { UInt8($0) }
    let array = try IDX.parse(file, source: "tiny", expecting: .images)
    #expect(array.kind == .images)
    #expect(array.dimensions == [2, 2, 3])
    #expect(array.count == 2)
    #expect(Array(array.bytes[array.payloadOffset...]) == (0..<12).map { UInt8($0) })
  }

  @Test func parsesHandcraftedLabels() throws {
    let file = bigEndian(0x801) + bigEndian(4) + [3, 1, 4, 1]
    let array = try IDX.parse(file, source: "tiny")
    #expect(array.kind == .labels)
    #expect(array.dimensions == [4])
    #expect(Array(array.bytes[array.payloadOffset...]) == [3, 1, 4, 1])
  }

  @Test func badMagicThrows() {
    let file = bigEndian(0x804) + bigEndian(1) + [7]
    let error = #expect(throws: DataError.self) { try IDX.parse(file, source: "bad.idx") }
    #expect(error?.description.contains("magic") == true)
  }

  @Test func wrongKindThrows() {
    let file = bigEndian(0x801) + bigEndian(1) + [7]
    #expect(throws: DataError.self) { try IDX.parse(file, source: "labels.idx", expecting: .images) }
  }

  @Test func sizeMismatchAndShortHeaderThrow() {
    #expect(throws: DataError.self) { try IDX.parse(bigEndian(0x801) + bigEndian(3) + [1, 2], source: "short") }
    #expect(throws: DataError.self) { try IDX.parse(bigEndian(0x801) + bigEndian(1) + [1, 2], source: "long") }
    #expect(throws: DataError.self) { try IDX.parse(bigEndian(0x803) + bigEndian(1), source: "header") }
    #expect(throws: DataError.self) { try IDX.parse([0, 0], source: "tiny") }
    let huge = bigEndian(0x803) + bigEndian(.max) + bigEndian(.max) + bigEndian(.max)
    #expect(throws: DataError.self) { try IDX.parse(huge, source: "overflow") }
  }
}
