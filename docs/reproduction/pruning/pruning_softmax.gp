# gnuplot script written by attnlab. Re-render from this folder with: gnuplot -d 'pruning_softmax.gp'
set encoding utf8
stem = 'pruning_softmax'
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
  set title 'softmax: test error after removing k of 8 heads'
  set xlabel 'heads removed k'
  set ylabel 'test MSE'
  unset logscale x
  unset logscale y
  unset label
  set offsets graph 0.02, graph 0.02, graph 0.05, graph 0.05
  set xrange [*:*]
  set yrange [*:*]
  plot data index 0 using 1:2:3 with yerrorlines lc rgb '#1f77b4' lw 2 pt 7 ps 0.9 title 'greedy by importance', \
       data index 1 using 1:2:3 with yerrorlines lc rgb '#d62728' lw 2 pt 5 ps 0.9 title 'greedy, values refit', \
       data index 2 using 1:2:3 with yerrorlines lc rgb '#2ca02c' lw 2 pt 9 ps 0.9 title 'random order', \
       data index 3 using 1:2 with lines lc rgb '#9467bd' lw 2 dt 2 title 'Bayes predictor (same test sets)'
}
unset output
