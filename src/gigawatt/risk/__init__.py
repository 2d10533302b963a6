"""gigawatt.risk"""
