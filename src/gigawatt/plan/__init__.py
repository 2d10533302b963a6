"""gigawatt.plan"""
