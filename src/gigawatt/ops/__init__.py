"""gigawatt.ops"""
