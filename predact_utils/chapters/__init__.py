"""One package per notebook of the book; later chapters may import earlier ones, never the reverse."""
