autocmd BufNewFile,BufRead *.jinja2,*.j2,*.jinja set ft=jinja
