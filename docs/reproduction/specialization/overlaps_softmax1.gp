# gnuplot script written by attnlab. Re-render from this folder with: gnuplot -d 'overlaps_softmax1.gp'
set encoding utf8
stem = 'overlaps_softmax1'
data = stem.'.dat'
set grid
set key outside right top Left reverse
do for [format in "png svg"] {
  if (format eq "png") {
    set terminal pngcairo size 960,750 font 'sans,11' noenhanced background '#ffffff'
  } else {
    set terminal svg size 960,750 fixed font 'sans,11' noenhanced background '#ffffff'
  }
  set output stem.'.'.format
  set multiplot layout 2,2 rowsfirst title 'softmax1, seed 1: key overlaps m[h,f]'
  set title 'f1 (std 3)'
  set xlabel 't = samples / D'
  set ylabel 'm[h,f]'
  set logscale x
  unset logscale y
  unset label
  set offsets 0, 0, graph 0.05, graph 0.05
  set xrange [0.225031169856507:56881.00900938313]
  set yrange [-1.5505263031245646:1.7765590902921091]
  plot data index 0 using 1:2 with lines lc rgb '#1f77b4' lw 2 title 'head 1', \
       data index 1 using 1:2 with lines lc rgb '#d62728' lw 2 title 'head 2', \
       data index 2 using 1:2 with lines lc rgb '#2ca02c' lw 2 title 'head 3', \
       data index 3 using 1:2 with lines lc rgb '#9467bd' lw 2 title 'head 4'
  set title 'f2 (std 2)'
  set xlabel 't = samples / D'
  set ylabel 'm[h,f]'
  set logscale x
  unset logscale y
  unset label
  set offsets 0, 0, graph 0.05, graph 0.05
  set xrange [0.225031169856507:56881.00900938313]
  set yrange [-1.5505263031245646:1.7765590902921091]
  plot data index 4 using 1:2 with lines lc rgb '#1f77b4' lw 2 title 'head 1', \
       data index 5 using 1:2 with lines lc rgb '#d62728' lw 2 title 'head 2', \
       data index 6 using 1:2 with lines lc rgb '#2ca02c' lw 2 title 'head 3', \
       data index 7 using 1:2 with lines lc rgb '#9467bd' lw 2 title 'head 4'
  set title 'f3 (std 1.2)'
  set xlabel 't = samples / D'
  set ylabel 'm[h,f]'
  set logscale x
  unset logscale y
  unset label
  set offsets 0, 0, graph 0.05, graph 0.05
  set xrange [0.225031169856507:56881.00900938313]
  set yrange [-1.5505263031245646:1.7765590902921091]
  plot data index 8 using 1:2 with lines lc rgb '#1f77b4' lw 2 title 'head 1', \
       data index 9 using 1:2 with lines lc rgb '#d62728' lw 2 title 'head 2', \
       data index 10 using 1:2 with lines lc rgb '#2ca02c' lw 2 title 'head 3', \
       data index 11 using 1:2 with lines lc rgb '#9467bd' lw 2 title 'head 4'
  set title 'mean direction'
  set xlabel 't = samples / D'
  set ylabel 'm[h,f]'
  set logscale x
  unset logscale y
  unset label
  set offsets 0, 0, graph 0.05, graph 0.05
  set xrange [0.225031169856507:56881.00900938313]
  set yrange [-1.5505263031245646:1.7765590902921091]
  plot data index 12 using 1:2 with lines lc rgb '#1f77b4' lw 2 title 'head 1', \
       data index 13 using 1:2 with lines lc rgb '#d62728' lw 2 title 'head 2', \
       data index 14 using 1:2 with lines lc rgb '#2ca02c' lw 2 title 'head 3', \
       data index 15 using 1:2 with lines lc rgb '#9467bd' lw 2 title 'head 4'
  unset multiplot
}
unset output
