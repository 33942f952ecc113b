stand-in for GRUB2 normal.mod (pv2hvm test corpus)
