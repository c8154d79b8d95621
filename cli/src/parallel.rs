//! Scanning layers in parallel, with decompression and hashing of one
//! layer overlapped on two threads.
