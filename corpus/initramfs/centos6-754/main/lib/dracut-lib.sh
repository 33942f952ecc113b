#!/bin/sh
# stand-in dracut-lib.sh
