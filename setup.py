"""The one compiled part: the cleaner's line scanner (gharchive_assets/clean/_linescan.c).

Everything else is in pyproject.toml; setuptools reads ext_modules only from here.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "gharchive_assets.clean._linescan",
            sources=["gharchive_assets/clean/_linescan.c"],
            extra_compile_args=["-O3", "-std=c99", "-Wall", "-Wextra", "-Werror=implicit"],
        )
    ]
)
