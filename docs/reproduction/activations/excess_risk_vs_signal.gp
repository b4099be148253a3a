# gnuplot script written by attnlab. Re-render from this folder with: gnuplot -d 'excess_risk_vs_signal.gp'
set encoding utf8
stem = 'excess_risk_vs_signal'
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
  set title 'final excess risk against signal strength'
  set xlabel 'signal strength lambda'
  set ylabel 'test MSE - Bayes risk'
  unset logscale x
  unset logscale y
  unset label
  set offsets graph 0.02, graph 0.02, graph 0.05, graph 0.05
  set xrange [*:*]
  set yrange [*:*]
  plot data index 0 using 1:2:3 with yerrorlines lc rgb '#1f77b4' lw 2 pt 7 ps 0.9 title 'softmax', \
       data index 1 using 1:2:3 with yerrorlines lc rgb '#d62728' lw 2 pt 5 ps 0.9 title 'softmax1', \
       data index 2 using 1:2:3 with yerrorlines lc rgb '#2ca02c' lw 2 pt 9 ps 0.9 title 'bayes-softmax', \
       keyentry with linespoints lc rgb '#9467bd' lw 2 pt 11 ps 0.9 title 'linear', \
       data index 3 using 1:2:3 with yerrorlines lc rgb '#ff7f0e' lw 2 pt 13 ps 0.9 title 'erf', \
       data index 4 using 1:2:3 with yerrorlines lc rgb '#8c564b' lw 2 pt 6 ps 0.9 title 'normalized-softplus', \
       data index 5 using 1:2:3 with yerrorlines lc rgb '#e377c2' lw 2 pt 4 ps 0.9 title 'sparsemax', \
       data index 6 using 1:2:3 with yerrorlines lc rgb '#17becf' lw 2 pt 8 ps 0.9 title 'sigmoid', \
       data index 7 using 1:2 with lines lc rgb '#7f7f7f' lw 2 dt 2 title 'softmax (limit: best flow end)', \
       data index 8 using 1:2 with lines lc rgb '#bcbd22' lw 2 dt 2 title 'softmax1 (limit: best flow end)', \
       data index 9 using 1:2 with lines lc rgb '#1f77b4' lw 2 dt 2 title 'bayes-softmax (limit: best flow end)'
}
unset output
