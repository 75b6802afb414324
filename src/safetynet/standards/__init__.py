"""Regional standards (低保标准 and the other dated figures per county): table, import, list."""
