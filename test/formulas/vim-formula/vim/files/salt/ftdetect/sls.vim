if has("autocmd")
  au  BufNewFile,BufRead *.sls set filetype=sls
endif
