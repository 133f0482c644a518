import Foundation

/// A 5000-image MNIST subset (500 per digit) shipped as one gzipped CSV: each row is 784 pixel values 0–255 in
/// row-major order followed by the label, with no header.
enum MNIST5k {
  static let name = "mnist-5k"
  static let file = PinnedFiles.File(
    name: "mnist_5k.csv.gz", sha256: "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d")
  static let info = DatasetInfo(
    imageShape: [28, 28, 1], classes: 10, task: .classification, fullTrainSize: 4000, fullTestSize: 1000)
  static let pixels = 784

  /// In `options.root`, else `$DROPBENCH_DATA`, else `.dropbench/data` under the current directory.
  static let source = PinnedFiles(
    dataset: name, files: [file], environmentVariable: "DROPBENCH_DATA", defaultRoot: ".dropbench/data",
    installHint: "install it with `make deps` (or set DROPBENCH_DATA to the directory holding \(file.name))")

  static func checksums(_ options: DatasetOptions) throws -> [String: String] { try source.checksums(options) }

  static func load(_ options: DatasetOptions) throws -> Dataset {
    let (path, text) = try source.inflated(file, options)
    let (pixelBytes, labels) = try parse(text, source: path)
    guard labels.count == info.fullTrainSize + info.fullTestSize else {
      throw DataError.unexpectedContents(dataset: name, reason: "\(labels.count) rows, expected 5000")
    }
    let (train, test) = try stratifiedSplit(pixelBytes: pixelBytes, labels: labels)
    return try ClassificationAssembly.assemble(
      name: name, classes: info.classes, train: train, test: test, checksums: source.pinned, options: options)
  }

  /// The fixed train/test split: within each class, in file order, every fifth row is a test row. It never
  /// depends on a seed, so mnist-5k's test set is the same for every experiment.
  static func stratifiedSplit(pixelBytes: [UInt8], labels: [Int32]) throws -> (train: ByteSplit, test: ByteSplit) {
    var seen = [Int](repeating: 0, count: info.classes)
    var trainRows: [Int] = []
    var testRows: [Int] = []
    for (row, label) in labels.enumerated() {
      guard label >= 0, Int(label) < info.classes else {
        throw DataError.unexpectedContents(dataset: name, reason: "row \(row + 1) has label \(label), outside 0..<10")
      }
      if seen[Int(label)] % 5 == 4 { testRows.append(row) } else { trainRows.append(row) }
      seen[Int(label)] += 1
    }
    func gather(_ rows: [Int]) -> ByteSplit {
      var bytes = [UInt8](repeating: 0, count: rows.count * pixels)
      bytes.withUnsafeMutableBufferPointer { out in
        pixelBytes.withUnsafeBufferPointer { src in
          for (j, row) in rows.enumerated() {
            (out.baseAddress! + j * pixels).update(from: src.baseAddress! + row * pixels, count: pixels)
          }
        }
      }
      return ByteSplit(
        images: ByteImages(bytes: bytes, offset: 0, count: rows.count, shape: info.imageShape),
        labels: rows.map { labels[$0] })
    }
    return (gather(trainRows), gather(testRows))
  }

  /// Parses the CSV text into pixel bytes (row after row) and labels, checking every field.
  static func parse(_ text: [UInt8], source: String) throws -> (pixels: [UInt8], labels: [Int32]) {
    let fieldsPerRow = pixels + 1
    var pixelBytes: [UInt8] = []
    pixelBytes.reserveCapacity(5000 * pixels)
    var labels: [Int32] = []
    var line = 1
    var field = 0
    var value = 0
    var digits = 0
    var rowPixels = [UInt8](repeating: 0, count: pixels)

    func fail(_ reason: String) -> DataError { .malformedCSV(source: source, line: line, reason: reason) }

    // A final row without a newline is still a row; a missing terminator is not corruption.
    let terminated = text.last == UInt8(ascii: "\n") || text.isEmpty ? text : text + [UInt8(ascii: "\n")]
    // A hand-written scanner: splitting 5000 × 785 fields into Strings would allocate millions of objects.
    for byte in terminated {
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"):
        value = value * 10 + Int(byte - UInt8(ascii: "0"))
        digits += 1
        if digits > 3 { throw fail("field \(field + 1) has more than three digits") }
      case UInt8(ascii: ","), UInt8(ascii: "\n"):
        let endOfRow = byte == UInt8(ascii: "\n")
        if endOfRow && field == 0 && digits == 0 {
          line += 1
          continue  // blank line, typically the last one
        }
        guard digits > 0 else { throw fail("field \(field + 1) is empty") }
        if field < pixels {
          guard value <= 255 else { throw fail("pixel \(field + 1) is \(value), outside 0–255") }
          rowPixels[field] = UInt8(value)
        } else if field == pixels {
          labels.append(Int32(value))
        } else {
          throw fail("more than \(fieldsPerRow) fields")
        }
        field += 1
        value = 0
        digits = 0
        if endOfRow {
          guard field == fieldsPerRow else { throw fail("\(field) fields, expected \(fieldsPerRow)") }
          pixelBytes.append(contentsOf: rowPixels)
          field = 0
          line += 1
        }
      case UInt8(ascii: "\r"):
        continue
      default:
        throw fail("unexpected character '\(Character(Unicode.Scalar(byte)))' (a header row or non-integer value?)")
      }
    }
    return (pixelBytes, labels)
  }
}
