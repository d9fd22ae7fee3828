package dev.tokenbus.engine.gguf;

/**
 * Checks where the tensor data lies, as llama.cpp's loader will: each offset is the running sum of the earlier
 * tensors' sizes padded to the alignment, and every tensor ends inside the file. Tensor data is never read.
 */
final class TensorLayoutCheck {
  private TensorLayoutCheck() {
  }

  static void check(GgufStructure gguf, int alignment, GgufCursor cursor) throws GgufFormatException {
    cursor.within("the tensor infos");
    long dataStart = alignUp(gguf.tensorInfoEnd(), alignment);
    long expectedOffset = 0; // -1 after a tensor of unknown type: its size, so the next offset, is unknown
    for (TensorInfo tensor : gguf.tensors()) {
      String name = "tensor '" + tensor.name() + "'";
      if (tensor.offset() < 0 || tensor.offset() % alignment != 0) {
        throw cursor.error(name + " has offset " + Long.toUnsignedString(tensor.offset())
            + ", not a multiple of the alignment " + alignment);
      }
      if (expectedOffset >= 0 && tensor.offset() != expectedOffset) {
        throw cursor.error(name + " has offset " + tensor.offset() + ", expected " + expectedOffset
            + " (where the tensors before it end)");
      }
      GgmlType type = GgmlType.byId(tensor.typeId());
      if (type == null) {
        // Unknown to this code, maybe newer than it: llama.cpp names the type if it cannot use it.
        expectedOffset = -1;
        continue;
      }
      if (tensor.dims()[0] % type.blockSize() != 0) {
        throw cursor.error(name + " of type " + type + " has rows of " + tensor.dims()[0]
            + " values, not a multiple of the block size " + type.blockSize());
      }
      long size = type.byteSize(tensor.elements());
      long end = dataStart + tensor.offset() + size;
      if (size < 0 || end < 0) {
        throw cursor.error(name + " is larger than any file can be");
      }
      if (end > cursor.size()) {
        throw cursor.error("truncated: " + name + " ends at byte " + end + " but the file has "
            + cursor.size() + " bytes");
      }
      expectedOffset = tensor.offset() + alignUp(size, alignment);
    }
  }

  static long alignUp(long value, int alignment) {
    return (value + alignment - 1) / alignment * alignment;
  }
}
