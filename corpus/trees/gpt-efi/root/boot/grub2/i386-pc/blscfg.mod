stand-in for GRUB2 blscfg.mod (pv2hvm test corpus)
