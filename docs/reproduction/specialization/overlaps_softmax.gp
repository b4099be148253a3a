# gnuplot script written by attnlab. Re-render from this folder with: gnuplot -d 'overlaps_softmax.gp'
set encoding utf8
stem = 'overlaps_softmax'
data = stem.'.dat'
set grid
set key outside right top Left reverse
do for [format in "png svg"] {
  if (format eq "png") {
    set terminal pngcairo size 800,500 font 'sans,11' noenhanced background '#ffffff'
  } else {
    set terminal svg size 800,500 fixed font 'sans,11' noenhanced background '#ffffff'
  }
  set output stem.'.'.format
  set title 'softmax: key overlaps m[h,f] (seed 1)'
  set xlabel 't = samples / D'
  set ylabel 'm[h,f] = k_h . k*_f / D'
  set logscale x
  unset logscale y
  unset label
  set offsets 0, 0, graph 0.05, graph 0.05
  set xrange [0.225031169856507:56881.00900938313]
  set yrange [*:*]
  plot data index 0 using 1:2 with lines lc rgb '#1f77b4' lw 2 title 'head 1, f1', \
       data index 1 using 1:2 with lines lc rgb '#d62728' lw 2 title 'head 2, f1', \
       data index 2 using 1:2 with lines lc rgb '#2ca02c' lw 2 title 'head 3, f1', \
       data index 3 using 1:2 with lines lc rgb '#9467bd' lw 2 title 'head 4, f1', \
       data index 4 using 1:2 with lines lc rgb '#ff7f0e' lw 2 title 'head 1, f2', \
       data index 5 using 1:2 with lines lc rgb '#8c564b' lw 2 title 'head 2, f2', \
       data index 6 using 1:2 with lines lc rgb '#e377c2' lw 2 title 'head 3, f2', \
       data index 7 using 1:2 with lines lc rgb '#17becf' lw 2 title 'head 4, f2', \
       data index 8 using 1:2 with lines lc rgb '#7f7f7f' lw 2 title 'head 1, f3', \
       data index 9 using 1:2 with lines lc rgb '#bcbd22' lw 2 title 'head 2, f3', \
       data index 10 using 1:2 with lines lc rgb '#1f77b4' lw 2 title 'head 3, f3', \
       data index 11 using 1:2 with lines lc rgb '#d62728' lw 2 title 'head 4, f3', \
       data index 12 using 1:2 with lines lc rgb '#2ca02c' lw 2 dt 2 title 'head 1, mean dir.', \
       data index 13 using 1:2 with lines lc rgb '#9467bd' lw 2 dt 2 title 'head 2, mean dir.', \
       data index 14 using 1:2 with lines lc rgb '#ff7f0e' lw 2 dt 2 title 'head 3, mean dir.', \
       data index 15 using 1:2 with lines lc rgb '#8c564b' lw 2 dt 2 title 'head 4, mean dir.'
}
unset output
